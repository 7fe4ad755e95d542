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

from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

BATCH = 1000  # DeleteObjects takes at most this many keys


def list_versions(client, bucket: str) -> list[dict[str, str]] | None:
    """Every version and delete marker as {Key, VersionId}; None when there is no bucket."""
    found = []
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                found.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
    except is_boto3_error_code("NoSuchBucket"):
        return None
    return found


def delete_versions(client, module: AnsibleAWSModule, bucket: str, versions: list[dict[str, str]]) -> None:
    for start in range(0, len(versions), BATCH):
        batch = versions[start : start + BATCH]
        response = client.delete_objects(
            aws_retry=True, Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            refused = ", ".join(f"{e['Key']} ({e.get('VersionId')}): {e.get('Code')}" for e in errors[:10])
            module.fail_json(msg=f"S3 refused to delete {len(errors)} versions in {bucket}: {refused}")


def ensure_absent(client, module: AnsibleAWSModule) -> dict[str, Any]:
    bucket = module.params["bucket"]
    versions = list_versions(client, bucket)
    if not versions:
        return {"changed": False, "deleted": 0}
    if not module.check_mode:
        delete_versions(client, module, bucket, versions)
    return {"changed": True, "deleted": len(versions)}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            state=dict(type="str", choices=["absent"], default="absent"),
        ),
        supports_check_mode=True,
    )
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = ensure_absent(client, module)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to delete the object versions in {module.params['bucket']}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
