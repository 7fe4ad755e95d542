"""After a first owncast role run that failed in its configuration step (prepare.yml):
Owncast runs, but no default secret is reachable (issue 9, "Owncast never runs with its
defaults reachable"). A push with Owncast's default stream key `abc123` is refused at
Owncast's RTMP port (where HAProxy passes a camera's TCP connection on), and
`admin`/`abc123` cannot log in to the admin API: nothing listens on Owncast's address
(where HAProxy sends the admin), and on 127.0.0.1, where the closed Owncast's web server
listens, Owncast refuses it. Prints one line per check, exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import socket
import sys

from verify_stream import Checks, http_status, push

DEFAULT_SECRET = "abc123"  # noqa: S105 (Owncast's published default, which must not work)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--owncast-address", required=True)
    parser.add_argument("--owncast-web-port", type=int, required=True)
    parser.add_argument("--owncast-rtmp-port", type=int, required=True)
    return parser.parse_args()


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def main() -> int:
    args = parse_args()
    checks = Checks()
    closed_web = f"http://127.0.0.1:{args.owncast_web_port}"
    owncast_rtmp = f"rtmp://{args.owncast_address}:{args.owncast_rtmp_port}"
    # Owncast is up (so the refusals below are its own, not a missing server)...
    checks.check("Owncast runs, its web server on 127.0.0.1", http_status(f"{closed_web}/api/status") == 200)
    checks.check(
        "Owncast's RTMP port accepts connections", listening(args.owncast_address, args.owncast_rtmp_port)
    )
    checks.check(
        f"nothing listens on Owncast's address {args.owncast_address}:{args.owncast_web_port} yet",
        not listening(args.owncast_address, args.owncast_web_port),
    )
    # ...and refuses the defaults wherever it can be reached.
    pushed = push(f"{owncast_rtmp}/live/{DEFAULT_SECRET}", 3)
    checks.check(
        f"a push with stream key {DEFAULT_SECRET} at Owncast's RTMP port is refused", pushed.returncode != 0
    )
    auth = ("-u", f"admin:{DEFAULT_SECRET}")
    for name, url in (
        ("on Owncast's address", f"http://{args.owncast_address}:{args.owncast_web_port}"),
        ("on 127.0.0.1", closed_web),
    ):
        status = http_status(f"{url}/api/admin/serverconfig", *auth)
        checks.check(f"admin/{DEFAULT_SECRET} cannot log in {name}", status != 200, str(status))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
