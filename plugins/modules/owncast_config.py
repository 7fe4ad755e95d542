#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: owncast_config
short_description: Configure a running Owncast server through its admin API
version_added: 0.1.0
description:
  - Declarative, idempotent configuration of Owncast 0.2.x through its admin API.
  - Reads the whole configuration with C(GET /api/admin/serverconfig) and writes only the
    settings that differ, each with C(POST /api/admin/config/<name>).
  - The admin password is always set. Owncast keeps only its hash, so the module checks it
    by logging in; on a fresh install it logs in with Owncast's default password and
    replaces it, so the default is never left in place.
  - Secrets (admin password, stream keys, S3 keys) are never returned; the diff masks them.
author:
  - privatecast.streaming developers (@privatecast)
options:
  url:
    description: Base URL of Owncast's web server, for example C(http://10.0.1.10:8080).
    type: str
    required: true
  admin_password:
    description: The admin password Owncast must have.
    type: str
    required: true
  current_admin_password:
    description:
      - A password Owncast may have now, tried after O(admin_password) and before
        Owncast's default. Use it to rotate the password.
    type: str
  validate_certs:
    description: Verify TLS certificates when O(url) is HTTPS.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each API call.
    type: int
    default: 10
  stream_keys:
    description:
      - The stream keys a camera may push with. Omit to leave the keys alone.
    type: list
    elements: dict
    suboptions:
      key:
        description: The key (the last part of C(rtmp://host/live/<key>)).
        type: str
        required: true
      comment:
        description: What the key is for.
        type: str
        default: ""
  s3:
    description:
      - S3 storage for the HLS segments. Omit to leave storage alone.
      - Owncast writes under C(hls/) (after O(s3.path_prefix)).
    type: dict
    suboptions:
      enabled:
        description: Store video in S3. V(false) goes back to local storage.
        type: bool
        default: true
      endpoint:
        description: The regional S3 endpoint URL (or an S3-compatible endpoint).
        type: str
      bucket:
        description: The bucket.
        type: str
      region:
        description: The bucket's region.
        type: str
      access_key:
        description: Access key id of the IAM user Owncast uploads as.
        type: str
      secret_key:
        description: Secret access key of that user.
        type: str
      acl:
        description:
          - Canned ACL of each upload. Owncast's own default is C(public-read); the
            bucket has ACLs disabled, which accepts only C(bucket-owner-full-control).
        type: str
        default: bucket-owner-full-control
      force_path_style:
        description: Path-style requests, needed by most non-AWS endpoints.
        type: bool
        default: false
      path_prefix:
        description: A prefix before C(hls/) in the object keys.
        type: str
        default: ""
  video_variants:
    description:
      - Owncast's stream output variants (its JSON field names). The default is one
        variant that passes the camera's video and audio through untouched.
      - Only the fields given are compared.
    type: list
    elements: dict
    default:
      - name: Source
        videoPassthrough: true
        audioPassthrough: true
  latency_level:
    description:
      - Owncast's stream latency level (its admin UI's latency buffer), written with
        C(POST /api/admin/config/video/streamlatencylevel). Omit to leave it alone.
      - Each level sets the HLS segment length and how many segments the live playlist
        lists (Owncast 0.2.5, C(models/latencyLevels.go)). V(0) 1 s x 25; V(1) 2 s x 15;
        V(2) 3 s x 10 (Owncast's default); V(3) 4 s x 8; V(4) 5 s x 5. Lower levels give a
        smaller live delay and more, smaller uploads.
      - With video passthrough a segment can only start at one of the camera's keyframes,
        so segments last the level's length rounded up to the camera's keyframe interval.
      - Owncast applies a new level when the next stream starts.
    type: int
    choices: [0, 1, 2, 3, 4]
  video_serving_endpoint:
    description:
      - Base URL players fetch the video from, when it is not the S3 endpoint. Omit to
        leave it alone.
    type: str
  directory_enabled:
    description: List the server in Owncast's public directory.
    type: bool
    default: false
  chat_disabled:
    description: Turn Owncast's chat off.
    type: bool
    default: true
  federation_enabled:
    description: Turn ActivityPub federation on.
    type: bool
    default: false
  hide_viewer_count:
    description: Hide the viewer count.
    type: bool
    default: true
  disable_search_indexing:
    description: Ask search engines not to index the server.
    type: bool
    default: true
notes:
  - Supports check mode and diff mode.
  - Owncast stores S3 settings as one object, so a change to any S3 field writes all of them.
"""

EXAMPLES = r"""
- name: Configure Owncast for a private stream into S3
  privatecast.streaming.owncast_config:
    url: http://127.0.0.1:8080
    admin_password: "{{ owncast_admin_password }}"
    stream_keys:
      - key: "{{ owncast_stream_key }}"
        comment: camera
    s3:
      endpoint: https://s3.eu-west-1.amazonaws.com
      bucket: example-video-123456789012
      region: eu-west-1
      access_key: "{{ owncast_s3_access_key_id }}"
      secret_key: "{{ owncast_s3_secret_access_key }}"
    latency_level: 0

- name: Rotate the admin password
  privatecast.streaming.owncast_config:
    url: http://127.0.0.1:8080
    current_admin_password: "{{ old_password }}"
    admin_password: "{{ new_password }}"
"""

RETURN = r"""
changed_settings:
  description: Names of the config endpoints written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["adminpass", "s3", "chat/disable", "video/streamlatencylevel"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.privatecast.streaming.plugins.module_utils.owncast import (
    DEFAULT_ADMIN_PASSWORD,
    LATENCY_LEVELS,
    PASSTHROUGH_VARIANT,
    OwncastClient,
    OwncastError,
    build_settings,
    masked_diff,
    pending_changes,
)

S3_REQUIRED_WHEN_ENABLED = ("endpoint", "bucket", "region", "access_key", "secret_key")


def argument_spec() -> dict:
    return dict(
        url=dict(type="str", required=True),
        admin_password=dict(type="str", required=True, no_log=True),
        current_admin_password=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=10),
        stream_keys=dict(
            type="list",
            elements="dict",
            no_log=True,
            options=dict(
                key=dict(type="str", required=True, no_log=True),
                comment=dict(type="str", default=""),
            ),
        ),
        s3=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", default=True),
                endpoint=dict(type="str"),
                bucket=dict(type="str"),
                region=dict(type="str"),
                access_key=dict(type="str", no_log=True),
                secret_key=dict(type="str", no_log=True),
                acl=dict(type="str", default="bucket-owner-full-control"),
                force_path_style=dict(type="bool", default=False),
                path_prefix=dict(type="str", default=""),
            ),
        ),
        video_variants=dict(type="list", elements="dict", default=[dict(PASSTHROUGH_VARIANT)]),
        latency_level=dict(type="int", choices=sorted(LATENCY_LEVELS)),
        video_serving_endpoint=dict(type="str"),
        directory_enabled=dict(type="bool", default=False),
        chat_disabled=dict(type="bool", default=True),
        federation_enabled=dict(type="bool", default=False),
        hide_viewer_count=dict(type="bool", default=True),
        disable_search_indexing=dict(type="bool", default=True),
    )


def validate_params(module: AnsibleModule) -> None:
    s3 = module.params["s3"]
    if s3 and s3["enabled"]:
        missing = [name for name in S3_REQUIRED_WHEN_ENABLED if not s3.get(name)]
        if missing:
            module.fail_json(msg=f"s3 is enabled but these are empty: {', '.join(missing)}")
    if module.params["stream_keys"] is not None:
        if not module.params["stream_keys"]:
            module.fail_json(msg="stream_keys needs at least one key (Owncast refuses an empty list)")
        if any(not item["key"] for item in module.params["stream_keys"]):
            module.fail_json(msg="a stream key cannot be empty")
    if module.params["admin_password"] == DEFAULT_ADMIN_PASSWORD:
        module.fail_json(msg="admin_password must not be Owncast's default password")


def log_in(client: OwncastClient, desired: str, current: str | None) -> tuple[str, bool]:
    """The password that works now and whether it must be changed to ``desired``."""
    if client.accepts_password(desired):
        return desired, False
    for candidate in (current, DEFAULT_ADMIN_PASSWORD):
        if candidate and client.accepts_password(candidate):
            return candidate, True
    raise OwncastError(
        "Owncast refuses admin_password, current_admin_password and its default password; "
        "pass the password it has now as current_admin_password"
    )


def ensure_config(module: AnsibleModule, client: OwncastClient) -> dict:
    params = module.params
    client.password, password_changes = log_in(
        client, params["admin_password"], params["current_admin_password"]
    )
    changes = pending_changes(build_settings(params), client.server_config())
    changed_names = (["adminpass"] if password_changes else []) + [
        setting.name for setting, _current in changes
    ]
    if not module.check_mode:
        if password_changes:
            client.set_config("adminpass", params["admin_password"])
            client.password = params["admin_password"]
        for setting, _current in changes:
            client.set_config(setting.name, setting.desired)
    result = dict(changed=bool(changed_names), changed_settings=changed_names)
    if module._diff:
        result["diff"] = masked_diff(changes, password_changes)
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    validate_params(module)
    client = OwncastClient(
        module.params["url"],
        module.params["admin_password"],
        timeout=module.params["timeout"],
        validate_certs=module.params["validate_certs"],
    )
    try:
        module.exit_json(**ensure_config(module, client))
    except OwncastError as error:
        module.fail_json(msg=str(error))


if __name__ == "__main__":
    main()
