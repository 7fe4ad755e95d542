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
from ansible_collections.privatecast.streaming.plugins.module_utils.plan import (
    apply_unless_checking,
    paginate,
)
from ansible_collections.privatecast.streaming.plugins.module_utils.retrying_client import retrying_client
from ansible_collections.privatecast.streaming.plugins.module_utils.viewer_page import (
    MFA_MODES,
    PageApplier,
    PageError,
    StoredObject,
    config_document,
    plan_upload,
    read_build,
    wanted_objects,
)


def stored_object(client: Any, bucket: str, key: str) -> StoredObject | None:
    """The object's headers and checksum; None when it, or the bucket (check mode on a new
    stack), does not exist."""
    try:
        head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound", "NoSuchBucket"]):
        return None
    return StoredObject(
        content_type=head.get("ContentType"),
        cache_control=head.get("CacheControl"),
        checksum=head.get("ChecksumSHA256"),
    )


def existing_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    """Keys below the prefix; none while the bucket does not exist (check mode on a new stack)."""
    try:
        contents = paginate(client, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)
    except is_boto3_error_code("NoSuchBucket"):
        return []
    return [item["Key"][len(prefix) :] for item in contents]


def publish(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Describe the bucket's page, plan the uploads and deletions, apply them (not in check mode)."""
    bucket, prefix = params["bucket"], params["prefix"]
    config = config_document(**params["config"])
    wanted = wanted_objects(read_build(params["src"]), config)
    stored = {obj.key: stored_object(client, bucket, prefix + obj.key) for obj in wanted}
    keys = existing_keys(client, bucket, prefix) if params["delete_stale"] else []
    plan = plan_upload(wanted, stored, keys, params["delete_stale"])
    apply_unless_checking(plan, PageApplier(client, bucket, prefix), check_mode)
    return {
        "changed": plan.changed,
        "uploaded": [obj.key for obj in plan.uploads],
        "deleted": list(plan.deletions),
        "objects": {obj.key: obj.summary() for obj in wanted},
        "config": json.loads(config),
        "diff": plan.diff,
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
    client = retrying_client(module, "s3")
    try:
        result = publish(client, module.params, module.check_mode)
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
