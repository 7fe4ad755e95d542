#!/usr/bin/env python
"""Builds a Lambda zip that is byte-identical for the same files: entries sorted by name,
fixed timestamps, permissions and compression. Rewrites the zip only when its content
changes and prints {"path", "sha256", "changed"} as JSON.

    package_lambda.py OUTPUT.zip FILE [FILE ...]   (each FILE lands at the zip root)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
UNIX = 3


def build_zip(files: list[Path]) -> bytes:
    names = [path.name for path in files]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SystemExit(f"two files would land at the same name in the zip: {', '.join(duplicates)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files, key=lambda item: item.name):
            info = zipfile.ZipInfo(path.name, date_time=FIXED_TIMESTAMP)
            info.external_attr = (0o100000 | FILE_MODE) << 16
            info.create_system = UNIX
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()


def write_if_changed(output: Path, content: bytes) -> bool:
    if output.exists() and output.read_bytes() == content:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=output.parent, delete=False) as temporary:
        temporary.write(content)
    os.chmod(temporary.name, FILE_MODE)
    os.replace(temporary.name, output)
    return True


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    output, files = Path(argv[1]), [Path(name) for name in argv[2:]]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        print(f"missing files: {', '.join(missing)}", file=sys.stderr)
        return 1
    content = build_zip(files)
    changed = write_if_changed(output, content)
    print(
        json.dumps({"path": str(output), "sha256": hashlib.sha256(content).hexdigest(), "changed": changed})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
