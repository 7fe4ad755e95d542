"""Fills moto 5.2.5 gaps in CloudFront key groups, for tests only (never product code).

moto has CreateKeyGroup, GetKeyGroup and ListKeyGroups but no UpdateKeyGroup and no
DeleteKeyGroup (the requests fail as not implemented). `install()` adds both to moto's
CloudFront backend, in-process (unit tests under mock_aws); run this file as a module
(`python -m tests.support.moto_cloudfront -H 127.0.0.1 -p PORT`) for a moto server that
has them (integration tests). Remove once moto implements them.
"""

from __future__ import annotations

import sys

from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal import mock_random


def _update_key_group(self: CloudFrontResponse) -> ActionResult:
    group = self.backend.get_key_group(self._get_param("Id"))
    group.name = self._get_param("KeyGroupConfig.Name")
    group.items = self._get_param("KeyGroupConfig.Items", [])
    group.etag = mock_random.get_random_hex(14).upper()
    return ActionResult({"KeyGroup": group, "ETag": group.etag})


def _delete_key_group(self: CloudFrontResponse) -> EmptyResult:
    backend: CloudFrontBackend = self.backend
    backend.key_groups.pop(self._get_param("Id"))
    return EmptyResult()


def install() -> None:
    for name, handler in (("update_key_group", _update_key_group), ("delete_key_group", _delete_key_group)):
        if not hasattr(CloudFrontResponse, name):
            setattr(CloudFrontResponse, name, handler)


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
