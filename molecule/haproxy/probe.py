"""Client-side checks of the haproxy scenario, run on the controller against the HAProxy
in the podman host (host networking, loopback only). Prints one line per check and exits
non-zero at the first check that fails. Ports and addresses: molecule.yml."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import sys
import urllib.request

HOST = "127.0.0.1"
RTMP_PORT = 11935
RTMPS_PORT = 11936
HTTPS_PORT = 11443
STATS_PORT = 11404
ADMIN_SOURCE = "127.0.0.1"
OTHER_SOURCE = "127.0.0.5"  # loopback, but outside haproxy_admin_cidrs
CAMERA_OUTSIDE_ALLOWLIST = "127.0.0.200"  # outside haproxy_camera_cidrs 127.0.0.0/28
RATE_SOURCE = "127.0.0.7"  # a source of its own for the rate limit
RATE_LIMIT = 10  # the role's default haproxy_rtmp_conn_rate_limit


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"ok: {message}")


def unverified_tls() -> ssl.SSLContext:
    # The scenario's certificate is self-signed; these checks are about what HAProxy
    # lets through, not about trust.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def echo_round_trip(source: str, port: int, tls: bool = False) -> str:
    """Sends random bytes through HAProxy to the echo upstream: "echoed" when exactly
    they come back, "refused" when HAProxy closes or resets the connection first,
    "mismatch" when something else comes back."""
    payload = os.urandom(64 * 1024)
    received = b""
    try:
        with socket.create_connection((HOST, port), timeout=5, source_address=(source, 0)) as raw:
            conn = unverified_tls().wrap_socket(raw) if tls else raw
            conn.sendall(payload)
            while len(received) < len(payload):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, ssl.SSLError):
        return "refused"
    if received == payload:
        return "echoed"
    return "refused" if not received else "mismatch"


def check_rtmp() -> None:
    check(echo_round_trip(ADMIN_SOURCE, RTMP_PORT) == "echoed", "RTMP passes 64 KiB to the upstream and back")
    check(
        echo_round_trip(ADMIN_SOURCE, RTMPS_PORT, tls=True) == "echoed", "RTMPS ends TLS, passes plain bytes"
    )
    outside = echo_round_trip(CAMERA_OUTSIDE_ALLOWLIST, RTMP_PORT)
    check(outside == "refused", f"RTMP refuses a source outside the camera CIDRs ({outside})")
    outcomes = [echo_round_trip(RATE_SOURCE, RTMP_PORT) for _attempt in range(RATE_LIMIT + 1)]
    check(
        outcomes[:RATE_LIMIT] == ["echoed"] * RATE_LIMIT,
        f"the first {RATE_LIMIT} RTMP connections of one source pass",
    )
    check(outcomes[RATE_LIMIT] == "refused", f"connection {RATE_LIMIT + 1} within the rate period is refused")
    check(
        echo_round_trip(ADMIN_SOURCE, RTMP_PORT) == "echoed",
        "other sources are not affected by the rate limit",
    )


def tls_handshake(version: ssl.TLSVersion) -> str:
    """Returns the negotiated version, or the OpenSSL reason the handshake failed for."""
    context = unverified_tls()
    # Let the client offer old versions, so a refusal comes from HAProxy, not from us.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = version
    context.maximum_version = version
    try:
        with socket.create_connection((HOST, HTTPS_PORT), timeout=5) as raw:
            with context.wrap_socket(raw) as conn:
                return conn.version() or ""
    except ssl.SSLError as error:
        return f"refused: {error.reason}"


def check_tls() -> None:
    check(tls_handshake(ssl.TLSVersion.TLSv1_2) == "TLSv1.2", "HTTPS completes a TLS 1.2 handshake")
    check(tls_handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3", "HTTPS completes a TLS 1.3 handshake")
    outcome = tls_handshake(ssl.TLSVersion.TLSv1_1)
    check(outcome == "refused: TLSV1_ALERT_PROTOCOL_VERSION", f"HTTPS refuses TLS 1.1 ({outcome})")


def get(
    path: str, source: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, str, str]:
    """One request; `path` goes into the request line as it is (any request-target form)."""
    conn = http.client.HTTPSConnection(
        HOST, HTTPS_PORT, timeout=5, source_address=(source, 0), context=unverified_tls()
    )
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, body, response.getheader("Strict-Transport-Security") or ""
    finally:
        conn.close()


def check_https() -> None:
    # Owncast's admin and what its UI loads (roles/haproxy/defaults/main.yml).
    for path in (
        "/admin",
        "/admin/",
        "/admin/config/server/",
        "/api/admin/status",
        "/_next/static/x.js",
        "/logo",
        "/api/socialplatforms",
        "/img/platformlogos/github.svg",
    ):
        status, body, hsts = get(path, ADMIN_SOURCE)
        check(status == 200 and body == f"stand-in {path}\n", f"{path} reaches Owncast from an admin source")
        check(hsts.startswith("max-age="), f"{path} carries HSTS")
        status, body, _hsts = get(path, OTHER_SOURCE)
        check(status == 403 and "stand-in" not in body, f"{path} is denied (403) from {OTHER_SOURCE}")
    websocket = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    denied = [
        ("/", {}),
        ("/hls/0/stream.m3u8", {}),
        ("/hls/stream.m3u8", {}),
        ("/ws", websocket),
        ("/api/status", {}),
        ("/api/config", {}),
        ("/embed/video", {}),
    ]
    for path, headers in denied:
        for source in (ADMIN_SOURCE, OTHER_SOURCE):
            status, body, hsts = get(path, source, headers)
            check(status == 403 and "stand-in" not in body, f"{path} is denied (403) from {source}")
    for path in ("/no-such-page", "/adminx", "/img/other.png", "/sw.js"):
        for source in (ADMIN_SOURCE, OTHER_SOURCE):
            status, body, hsts = get(path, source)
            check(status == 404 and "stand-in" not in body and hsts != "", f"{path} is 404 from {source}")


# Unusual spellings of a request target, each with its plain form: both must get the
# same answer (status and body; a 200 is the stand-in naming the path it was asked for).
SAME_AS_PLAIN = [
    (f"http://{HOST}:{HTTPS_PORT}/hls/0/stream.m3u8", "/hls/0/stream.m3u8"),
    (f"HTTP://{HOST}:{HTTPS_PORT}/admin/", "/admin/"),
    (f"http://{HOST}:{HTTPS_PORT}/api/admin/status?x=/hls/", "/api/admin/status?x=/hls/"),
    (f"http://{HOST}:{HTTPS_PORT}", "/"),
    (f"http://{HOST}:{HTTPS_PORT}/no-such-page", "/no-such-page"),
    ("//hls/0/stream.m3u8", "/hls/0/stream.m3u8"),
    ("/%68ls/0/stream.m3u8", "/hls/0/stream.m3u8"),
    ("/HLS/0/stream.m3u8", "/hls/0/stream.m3u8"),
    ("/Api/Status", "/api/status"),
    ("/%77s", "/ws"),
    ("/./ws", "/ws"),
    ("/admin/../hls/0/stream.m3u8", "/hls/0/stream.m3u8"),
    ("/admin/%2e%2E/api/status", "/api/status"),
    ("/admin/..%2Fapi/status", "/api/status"),
    ("/api/admin/../config", "/api/config"),
    ("/_next/../../embed/video", "/embed/video"),
    ("/a/b/../../api/status", "/api/status"),
    ("//no-such-page", "/no-such-page"),
    ("/no-such-page/.", "/no-such-page"),
]
# Spellings that name an admin path otherwise than plainly are refused, never passed on
# (HAProxy and Owncast could read them differently), and so are methods and request forms
# the admin never sends. Owncast's paths are case-sensitive: /ADMIN/ is not its admin (it
# would serve its public player there), so it is what any other unknown path is: 404.
REFUSED = [
    ("GET", "//admin/", 400),
    ("GET", "/admin/./config/server/", 400),
    ("GET", "/adm%69n/", 400),
    ("GET", "/admin/x/../", 400),
    ("GET", "/api/admin/%73tatus", 400),
    ("GET", "/ADMIN/", 404),
    ("OPTIONS", "*", 405),
    ("OPTIONS", "/admin/", 405),
    ("TRACE", "/admin/", 405),
    ("CONNECT", f"{HOST}:11880", 400),
    ("CONNECT", "/admin/", 400),
]
UPGRADES = {
    "h2c": {
        "Connection": "Upgrade, HTTP2-Settings",
        "Upgrade": "h2c",
        "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA",
    },
    "websocket": {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    },
}


def check_request_forms() -> None:
    for odd, plain in SAME_AS_PLAIN:
        for source in (ADMIN_SOURCE, OTHER_SOURCE):
            got, expected = get(odd, source)[:2], get(plain, source)[:2]
            check(got == expected, f"{odd} gets what {plain} gets from {source} ({got[0]})")
    for method, target, status in REFUSED:
        got_status, body, _hsts = get(target, ADMIN_SOURCE, method=method)
        check(got_status == status and "stand-in" not in body, f"{method} {target} is refused ({got_status})")
    for name, headers in UPGRADES.items():
        for path in ("/admin/", "/api/admin/status"):
            status, body, _hsts = get(path, ADMIN_SOURCE, headers)
            check(
                status == 403 and "stand-in" not in body, f"an {name} upgrade on {path} is refused ({status})"
            )


def check_stats() -> None:
    with urllib.request.urlopen(f"http://{HOST}:{STATS_PORT}/", timeout=5) as response:
        check(b"Statistics Report" in response.read(), "the stats page answers on loopback")


def main() -> int:
    try:
        check_rtmp()
        check_tls()
        check_https()
        check_request_forms()
        check_stats()
    except CheckFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
