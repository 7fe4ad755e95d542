#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
---
module: viewer_page
short_description: Upload the viewer page and its config.json to a privatecast stack's bucket
version_added: 0.1.0
description:
  - Uploads the built viewer page (C(index.html) and hashed assets
    C(assets/<name>-<hash>.<ext>)) from O(src) and a generated C(config.json) under
    O(prefix) in O(bucket), where the distribution's default behaviour serves them.
  - "Hashed assets get C(Cache-Control: public, max-age=31536000, immutable); C(index.html),
    C(config.json) and any other file outside C(assets/) get C(Cache-Control: no-cache).
    Content-Type comes from the extension (C(text/html; charset=utf-8), C(text/javascript),
    C(text/css), C(application/json), C(image/svg+xml), ...); an unknown extension, or a
    file under C(assets/) without a hash in its name, fails the task."
  - An object is uploaded only when its SHA-256 (S3's C(ChecksumSHA256), sent with every
    upload), its Content-Type or its Cache-Control differ from the wanted ones, so a
    re-run uploads nothing. Uploads go assets first and C(index.html) last. Check and diff
    mode.
  - Objects the page no longer has are kept unless O(delete_stale=true) (a page already
    open may still load the previous build's assets).
author:
  - privatecast.streaming developers (@privatecast)
options:
  bucket:
    description: The stack's bucket.
    type: str
    required: true
  prefix:
    description: Key prefix of the page; the distribution's page origin path.
    type: str
    default: web/
  src:
    description: Directory holding the built page (C(index.html), C(assets/)).
    type: path
    required: true
  config:
    description: The settings written to C(config.json) (keys sorted, no whitespace).
    type: dict
    required: true
    suboptions:
      region:
        description: AWS region of the user pool.
        type: str
        required: true
      user_pool_id:
        description: Cognito user pool id.
        type: str
        required: true
      client_id:
        description: The pool's public app client id.
        type: str
        required: true
      cognito_endpoint:
        description: Cognito IdP endpoint the page logs in with (C(https://cognito-idp.<region>.amazonaws.com/)).
        type: str
        required: true
      mfa:
        description: The pool's MFA setting.
        type: str
        choices: ['off', optional, required]
        required: true
      password_minimum_length:
        description: The pool's minimum password length (every character class is required).
        type: int
        required: true
      admin_group:
        description: The group whose members may start and stop the servers and delete recordings.
        type: str
        required: true
  delete_stale:
    description: Delete objects under O(prefix) that are not part of the page.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Publish the viewer page
  privatecast.streaming.viewer_page:
    bucket: demo-video-123456789012
    src: "{{ role_path }}/files/web"
    config:
      region: eu-west-1
      user_pool_id: eu-west-1_AbCdEfGhI
      client_id: 1example23456789
      cognito_endpoint: https://cognito-idp.eu-west-1.amazonaws.com/
      mfa: optional
      password_minimum_length: 14
      admin_group: admins
"""

RETURN = r"""
uploaded:
  description: Keys (below O(prefix)) uploaded, or to upload in check mode, in upload order.
  returned: always
  type: list
  elements: str
  sample: [assets/index-4f3a9c1b.js, config.json, index.html]
deleted:
  description: Keys (below O(prefix)) deleted, or to delete in check mode.
  returned: always
  type: list
  elements: str
objects:
  description: Every object of the page with its Content-Type, Cache-Control and SHA-256.
  returned: always
  type: dict
config:
  description: The content of C(config.json).
  returned: always
  type: dict
"""

import json
from typing import Any

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.privatecast.streaming.plugins.module_utils.viewer_page import (
    MFA_MODES,
    PageError,
    PageObject,
    Plan,
    StoredObject,
    config_document,
    plan_diff,
    plan_upload,
    read_build,
    wanted_objects,
)

DELETE_BATCH = 1000


def stored_object(client, bucket: str, key: str) -> StoredObject | None:
    """The object's headers and checksum; None when it, or the bucket (check mode on a new
    stack), does not exist."""
    try:
        head = client.head_object(aws_retry=True, Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound", "NoSuchBucket"]):
        return None
    return StoredObject(
        content_type=head.get("ContentType"),
        cache_control=head.get("CacheControl"),
        checksum=head.get("ChecksumSHA256"),
    )


def existing_keys(client, bucket: str, prefix: str) -> list[str]:
    """Keys below the prefix; none while the bucket does not exist (check mode on a new stack)."""
    paginator = client.get_paginator("list_objects_v2")
    try:
        pages = paginator.paginate(Bucket=bucket, Prefix=prefix).build_full_result()
    except is_boto3_error_code("NoSuchBucket"):
        return []
    return [item["Key"][len(prefix) :] for item in pages.get("Contents", [])]


def upload(client, bucket: str, prefix: str, obj: PageObject) -> None:
    client.put_object(
        aws_retry=True,
        Bucket=bucket,
        Key=prefix + obj.key,
        Body=obj.body,
        ContentType=obj.content_type,
        CacheControl=obj.cache_control,
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=obj.checksum,
    )


def delete(client, bucket: str, prefix: str, keys: tuple[str, ...]) -> None:
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": prefix + key} for key in keys[start : start + DELETE_BATCH]]
        response = client.delete_objects(
            aws_retry=True, Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
        )
        if response.get("Errors"):
            raise PageError(f"could not delete: {response['Errors']}")


def apply_plan(client, bucket: str, prefix: str, plan: Plan) -> None:
    for obj in plan.uploads:
        upload(client, bucket, prefix, obj)
    if plan.deletions:
        delete(client, bucket, prefix, plan.deletions)


def publish(client, module: AnsibleAWSModule) -> dict[str, Any]:
    params = module.params
    bucket, prefix = params["bucket"], params["prefix"]
    config = config_document(**params["config"])
    wanted = wanted_objects(read_build(params["src"]), config)
    stored = {obj.key: stored_object(client, bucket, prefix + obj.key) for obj in wanted}
    keys = existing_keys(client, bucket, prefix) if params["delete_stale"] else []
    plan = plan_upload(wanted, stored, keys, params["delete_stale"])
    if plan.changed and not module.check_mode:
        apply_plan(client, bucket, prefix, plan)
    return {
        "changed": plan.changed,
        "uploaded": [obj.key for obj in plan.uploads],
        "deleted": list(plan.deletions),
        "objects": {obj.key: obj.summary() for obj in wanted},
        "config": json.loads(config),
        "diff": plan_diff(plan, stored),
    }


def main() -> None:
    config_options = dict(
        region=dict(type="str", required=True),
        user_pool_id=dict(type="str", required=True),
        client_id=dict(type="str", required=True),
        cognito_endpoint=dict(type="str", required=True),
        mfa=dict(type="str", choices=list(MFA_MODES), required=True),
        password_minimum_length=dict(type="int", required=True, no_log=False),
        admin_group=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            prefix=dict(type="str", default="web/"),
            src=dict(type="path", required=True),
            config=dict(type="dict", required=True, options=config_options),
            delete_stale=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    prefix = module.params["prefix"]
    if prefix and not prefix.endswith("/"):
        module.fail_json(msg=f"prefix must end with '/', got {prefix!r}")
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = publish(client, module)
    except PageError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(
            error, msg=f"Failed to publish the viewer page to s3://{module.params['bucket']}/{prefix}"
        )
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
