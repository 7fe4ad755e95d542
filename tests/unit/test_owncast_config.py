"""owncast_config: comparison logic, masking, and the login/write flow over real HTTP.

The HTTP peer is a small in-process server that keeps Owncast 0.2.x's admin API contract
as read in Owncast's source (webserver/handlers/admin): Basic auth as ``admin``, 401 for
a wrong password, ``serverconfig`` field names, ``{"value": ...}`` bodies, 400 with
``{"success": false}`` when a value is refused. It exercises this module's HTTP code and
flow; the real Owncast binary is the servers scenario's job.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import owncast
from ansible_collections.privatecast.streaming.plugins.modules import owncast_config

FRESH_CONFIG: dict[str, Any] = {
    "streamKeys": [{"key": "abc123", "comment": "Default stream key"}],
    "s3": {"enabled": False, "forcePathStyle": False},
    "videoSettings": {
        "videoQualityVariants": [
            {
                "name": "1.2Mbps",
                "videoPassthrough": False,
                "audioPassthrough": True,
                "videoBitrate": 1200,
                "framerate": 24,
                "cpuUsageLevel": 2,
            }
        ],
        "latencyLevel": 2,
    },
    "yp": {"enabled": False},
    "chatDisabled": False,
    "federation": {"enabled": False},
    "hideViewerCount": False,
    "disableSearchIndexing": False,
    "videoServingEndpoint": "",
}


def stored_variant(variant: dict[str, Any]) -> dict[str, Any]:
    """A variant as serverconfig reports it: every field, frame rate 0 for passthrough."""
    stored = {"videoBitrate": 0, "audioBitrate": 0, "cpuUsageLevel": 0, **variant}
    stored["framerate"] = 0 if variant.get("videoPassthrough") else variant.get("framerate") or 24
    return stored


# Where each config endpoint lands in serverconfig, as Owncast's handlers store it.
WRITERS = {
    "streamkeys": lambda c, v: c.__setitem__("streamKeys", v),
    "s3": lambda c, v: c.__setitem__("s3", {k: x for k, x in v.items() if x not in ("", None)}),
    "video/streamoutputvariants": lambda c, v: c["videoSettings"].__setitem__(
        "videoQualityVariants", [stored_variant(variant) for variant in v]
    ),
    "directoryenabled": lambda c, v: c["yp"].__setitem__("enabled", v),
    "chat/disable": lambda c, v: c.__setitem__("chatDisabled", v),
    "federation/enable": lambda c, v: c["federation"].__setitem__("enabled", v),
    "hideviewercount": lambda c, v: c.__setitem__("hideViewerCount", v),
    "disablesearchindexing": lambda c, v: c.__setitem__("disableSearchIndexing", v),
    "videoservingendpoint": lambda c, v: c.__setitem__("videoServingEndpoint", v),
    # Owncast stores the level as a number and reports levels above 4 as 4.
    "video/streamlatencylevel": lambda c, v: c["videoSettings"].__setitem__("latencyLevel", min(int(v), 4)),
}


class AdminApi:
    def __init__(self) -> None:
        self.password = owncast.DEFAULT_ADMIN_PASSWORD
        self.config = copy.deepcopy(FRESH_CONFIG)
        self.writes: list[str] = []


def make_handler(api: AdminApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"admin:{api.password}".encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return True
            self._answer(401, {"message": "unauthorized"})
            return False

        def _answer(self, status: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self._authorised() and self.path == "/api/admin/serverconfig":
                self._answer(200, api.config)

        def do_POST(self) -> None:
            if not self._authorised():
                return
            name = self.path.removeprefix("/api/admin/config/")
            value = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["value"]
            api.writes.append(name)
            if name == "adminpass":
                api.password = value
            elif name == "streamkeys" and not value:
                self._answer(400, {"success": False, "message": "must provide at least one valid stream key"})
                return
            elif name == "video/streamlatencylevel" and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                # Owncast type-asserts a JSON number (Go float64); anything else fails there.
                self._answer(500, {"success": False, "message": "not a number"})
                return
            else:
                WRITERS[name](api.config, value)
            self._answer(200, {"success": True, "message": "changed"})

    return Handler


@pytest.fixture
def admin_api():
    api = AdminApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield api
    server.shutdown()
    server.server_close()


S3_INPUT = {
    "enabled": True,
    "endpoint": "http://127.0.0.1:5103",
    "bucket": "video",
    "region": "us-east-1",
    "access_key": "AKIAEXAMPLE",
    "secret_key": "s3cr3t",
    "acl": "bucket-owner-full-control",
    "force_path_style": True,
    "path_prefix": "",
}


def module_params(**overrides: Any) -> dict[str, Any]:
    params = {
        "url": "",
        "admin_password": "a-strong-admin-password",
        "current_admin_password": None,
        "validate_certs": True,
        "timeout": 5,
        "stream_keys": [{"key": "k" * 32, "comment": "camera"}],
        "s3": dict(S3_INPUT),
        "video_variants": [dict(owncast.PASSTHROUGH_VARIANT)],
        "video_serving_endpoint": None,
        "latency_level": None,
        "directory_enabled": False,
        "chat_disabled": True,
        "federation_enabled": False,
        "hide_viewer_count": True,
        "disable_search_indexing": True,
    }
    params.update(overrides)
    return params


def run_module(api: AdminApi, check_mode: bool = False, **overrides: Any) -> dict[str, Any]:
    params = module_params(url=api.url, **overrides)
    module = SimpleNamespace(params=params, check_mode=check_mode, _diff=True)
    client = owncast.OwncastClient(api.url, params["admin_password"], timeout=5)
    return owncast_config.ensure_config(module, client)


def test_fresh_install_gets_everything_and_the_default_password_is_replaced(admin_api):
    result = run_module(admin_api)

    assert result["changed"] is True
    assert result["changed_settings"][0] == "adminpass"
    assert admin_api.password == "a-strong-admin-password"
    assert admin_api.config["streamKeys"] == [{"key": "k" * 32, "comment": "camera"}]
    s3 = admin_api.config["s3"]
    assert s3["acl"] == "bucket-owner-full-control"
    assert s3["forcePathStyle"] is True
    assert s3["enabled"] is True
    assert admin_api.config["videoSettings"]["videoQualityVariants"][0]["videoPassthrough"] is True
    assert admin_api.config["chatDisabled"] is True
    assert admin_api.config["hideViewerCount"] is True
    assert admin_api.config["disableSearchIndexing"] is True


def test_second_run_writes_nothing(admin_api):
    run_module(admin_api)
    writes_after_first = list(admin_api.writes)

    result = run_module(admin_api)

    assert result == {"changed": False, "changed_settings": [], "diff": {"before": {}, "after": {}}}
    assert admin_api.writes == writes_after_first


def test_only_the_setting_that_differs_is_written(admin_api):
    run_module(admin_api)
    admin_api.config["chatDisabled"] = False
    admin_api.writes.clear()

    result = run_module(admin_api)

    assert result["changed_settings"] == ["chat/disable"]
    assert admin_api.writes == ["chat/disable"]


def test_check_mode_reports_without_writing(admin_api):
    result = run_module(admin_api, check_mode=True)

    assert result["changed"] is True
    assert "s3" in result["changed_settings"]
    assert admin_api.writes == []
    assert admin_api.password == owncast.DEFAULT_ADMIN_PASSWORD


def test_diff_masks_every_secret(admin_api):
    result = run_module(admin_api)

    text = json.dumps(result)
    for secret in ("a-strong-admin-password", "k" * 32, "AKIAEXAMPLE", "s3cr3t"):
        assert secret not in text
    assert result["diff"]["after"]["s3"]["secret"] == owncast.MASK
    assert result["diff"]["after"]["s3"]["bucket"] == "video"
    assert result["diff"]["after"]["adminpass"] == owncast.MASK


def test_password_rotation_uses_the_current_password(admin_api):
    run_module(admin_api)

    result = run_module(
        admin_api, admin_password="the-next-password", current_admin_password="a-strong-admin-password"
    )

    assert result["changed_settings"] == ["adminpass"]
    assert admin_api.password == "the-next-password"


def test_unknown_password_is_a_clear_error(admin_api):
    admin_api.password = "set-by-someone-else"

    with pytest.raises(owncast.OwncastError, match="current_admin_password"):
        run_module(admin_api)
    assert admin_api.writes == []


def test_refused_value_is_an_error_with_owncasts_message(admin_api):
    admin_api.password = "a-strong-admin-password"
    client = owncast.OwncastClient(admin_api.url, "a-strong-admin-password", timeout=5)

    with pytest.raises(owncast.OwncastError, match="at least one valid stream key"):
        client.set_config("streamkeys", [])


def test_unreachable_owncast_is_an_error():
    client = owncast.OwncastClient("http://127.0.0.1:9", "x", timeout=2)

    with pytest.raises(owncast.OwncastError, match="cannot reach"):
        client.accepts_password("x")


def test_s3_compare_ignores_fields_owncast_omits():
    settings = owncast.build_settings(module_params(s3=dict(S3_INPUT, path_prefix="")))
    s3 = next(s for s in settings if s.name == "s3")
    stored = {k: v for k, v in s3.desired.items() if v not in ("", None)}

    assert owncast.pending_changes([s3], {"s3": stored}) == []


def test_variants_compare_only_the_fields_asked_for():
    current = [dict(owncast.PASSTHROUGH_VARIANT, scaledWidth=0, name="Source")]

    assert owncast.variants_match(current, [{"videoPassthrough": True}])
    assert not owncast.variants_match(current, [{"videoPassthrough": False}])
    assert not owncast.variants_match(current + current, [{"videoPassthrough": True}])


def test_disabled_s3_needs_no_keys():
    settings = owncast.build_settings(module_params(s3={"enabled": False}))
    s3 = next(s for s in settings if s.name == "s3")

    assert s3.desired["enabled"] is False
    assert s3.desired["secret"] == ""


def test_latency_level_is_left_alone_unless_asked(admin_api):
    run_module(admin_api)

    assert "video/streamlatencylevel" not in admin_api.writes


def test_latency_level_is_written_once_as_a_number(admin_api):
    result = run_module(admin_api, latency_level=0)

    assert "video/streamlatencylevel" in result["changed_settings"]
    assert result["diff"]["before"]["video/streamlatencylevel"] == 2
    assert result["diff"]["after"]["video/streamlatencylevel"] == 0
    assert admin_api.config["videoSettings"]["latencyLevel"] == 0

    again = run_module(admin_api, latency_level=0)

    assert again["changed"] is False
    assert admin_api.writes.count("video/streamlatencylevel") == 1


def test_owncasts_default_latency_level_needs_no_write(admin_api):
    run_module(admin_api)
    admin_api.writes.clear()

    result = run_module(admin_api, latency_level=owncast.DEFAULT_LATENCY_LEVEL)

    assert result["changed"] is False
    assert admin_api.writes == []


def test_a_missing_latency_level_reads_as_owncasts_default():
    settings = owncast.build_settings(module_params(latency_level=2))
    level = next(s for s in settings if s.name == "video/streamlatencylevel")

    assert owncast.pending_changes([level], {"videoSettings": {}}) == []
    assert owncast.pending_changes([level], {"videoSettings": {"latencyLevel": 4}}) == [(level, 4)]


def test_latency_level_in_check_mode_is_reported_not_written(admin_api):
    run_module(admin_api)
    admin_api.writes.clear()

    result = run_module(admin_api, check_mode=True, latency_level=4)

    assert result["changed_settings"] == ["video/streamlatencylevel"]
    assert admin_api.writes == []
    assert admin_api.config["videoSettings"]["latencyLevel"] == 2


def test_latency_level_choices_are_owncasts_levels():
    spec = owncast_config.argument_spec()["latency_level"]

    assert spec["choices"] == [0, 1, 2, 3, 4]
    assert owncast.LATENCY_LEVELS[0] == (1, 25)
    assert owncast.LATENCY_LEVELS[owncast.DEFAULT_LATENCY_LEVEL] == (3, 10)
