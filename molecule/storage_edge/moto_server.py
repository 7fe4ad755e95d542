#!/usr/bin/env python
"""The scenario's moto server, with one moto gap filled (test side, never product code).

moto gap DISTRIBUTION ORIGINS: moto 5.2.5 drops `OriginAccessControlId` and `S3OriginConfig`
from an S3 origin when it stores a distribution; real CloudFront returns both. Without
them the second converge would see a difference and the idempotence step could not tell
a real one from this gap. Run as `moto_server.py -H 127.0.0.1 -p PORT`.
"""

from __future__ import annotations

from typing import Any

from moto.cloudfront import models
from moto.server import main

_original_origin_init = models.Origin.__init__


def _origin_init(self: Any, origin: dict[str, Any]) -> None:
    _original_origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId", "")
    if "S3OriginConfig" in origin:
        self.s3_origin_config = origin["S3OriginConfig"]


models.Origin.__init__ = _origin_init

if __name__ == "__main__":
    main()
