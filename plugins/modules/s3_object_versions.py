#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: s3_object_versions
short_description: Delete every object version and delete marker in an S3 bucket
version_added: 0.1.0
description:
  - With O(state=absent), deletes every version of every object and every delete marker
    in O(bucket), each by its version id, so the bucket can then be deleted.
  - Every version is deleted by its id, including the C(null) version an object has when
    it was written before versioning was turned on (or while it was suspended). Deleting
    such an object without its id, as M(amazon.aws.s3_bucket) with O(amazon.aws.s3_bucket#module:force=true)
    does, adds a delete marker in a versioned bucket and leaves the object, so the bucket
    cannot be deleted.
  - A bucket that does not exist is nothing to do.
author:
  - privatecast.streaming developers (@privatecast)
options:
  bucket:
    description: Name of the bucket.
    type: str
    required: true
  state:
    description: Only V(absent) (no version left).
    type: str
    choices: [absent]
    default: absent
notes:
  - Supports check mode (counts what would be deleted).
  - Deletes in batches of 1000 (the DeleteObjects limit) and fails naming the keys S3
    refused.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Empty the bucket of every version, then delete it
  privatecast.streaming.s3_object_versions:
    bucket: demo-video-123456789012
    state: absent

- name: Delete the empty bucket
  amazon.aws.s3_bucket:
    name: demo-video-123456789012
    state: absent
"""

RETURN = r"""
deleted:
  description: How many versions and delete markers were (in check mode, would be) deleted.
  returned: always
  type: int
  sample: 42
"""

from dataclasses import dataclass
from typing import Any, ClassVar

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    Action,
    ClientApplier,
    Plan,
    apply_unless_checking,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client

BATCH = 1000  # DeleteObjects takes at most this many keys


class VersionsError(Exception):
    """S3 refused to delete some versions; the message names them."""


# --- describe --------------------------------------------------------------------------


def list_versions(client: Any, bucket: str) -> list[dict[str, str]] | None:
    """Every version and delete marker as {Key, VersionId}; None when there is no bucket."""
    try:
        entries = paginate(client, "list_object_versions", "Versions", Bucket=bucket)
        entries += paginate(client, "list_object_versions", "DeleteMarkers", Bucket=bucket)
    except is_boto3_error_code("NoSuchBucket"):
        return None
    return [{"Key": entry["Key"], "VersionId": entry["VersionId"]} for entry in entries]


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeleteVersions(Action):
    """One DeleteObjects call: up to BATCH versions and delete markers, each by its id."""

    kind: ClassVar[str] = "delete_versions"
    description: str
    bucket: str
    versions: tuple[dict[str, str], ...]

    def apply(self, applier: ClientApplier) -> None:
        response = applier.client.delete_objects(
            Bucket=self.bucket, Delete={"Objects": list(self.versions), "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            refused = ", ".join(f"{e['Key']} ({e.get('VersionId')}): {e.get('Code')}" for e in errors[:10])
            raise VersionsError(f"S3 refused to delete {len(errors)} versions in {self.bucket}: {refused}")


# --- plan --------------------------------------------------------------------------------


def plan_absent(bucket: str, versions: list[dict[str, str]] | None) -> Plan:
    """One DeleteVersions per batch of BATCH; nothing for a missing or empty bucket."""
    found = versions or []
    actions = tuple(
        DeleteVersions(
            f"delete {len(found[start : start + BATCH])} versions and delete markers in {bucket}",
            bucket,
            tuple(found[start : start + BATCH]),
        )
        for start in range(0, len(found), BATCH)
    )
    return Plan(
        bucket, actions, {"bucket": bucket, "versions": len(found)}, {"bucket": bucket, "versions": 0}
    )


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            state=dict(type="str", choices=["absent"], default="absent"),
        ),
        supports_check_mode=True,
    )
    bucket = module.params["bucket"]
    applier = ClientApplier(retrying_client(module, "s3"))
    try:
        versions = list_versions(applier.client, bucket)
        plan = plan_absent(bucket, versions)
        apply_unless_checking(plan, applier, module.check_mode)
    except VersionsError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to delete the object versions in {bucket}")
    result: dict[str, Any] = {"changed": plan.changed, "deleted": len(versions or [])}
    if module._diff and plan.changed:
        result["diff"] = plan.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
