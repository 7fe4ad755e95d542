"""The edge's listeners: HTTPS for viewers, plain HTTP on loopback for S3 event deliveries
from the moto server (tests/support/moto_gaps_lambda_events.py), and the scheduler."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.local_edge.http_types import Request, Response

LOG = logging.getLogger("local_edge.server")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
IDLE_SECONDS = 60
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    app: Callable[[Request], Response]
    tls: ssl.SSLContext | None = None
    server_version = "local-edge"

    def setup(self) -> None:
        self.request.settimeout(IDLE_SECONDS)
        if self.tls is not None:
            # The handshake runs in this connection's thread, never in the accepting one.
            self.request = self.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s %s", self.client_address[0], format % args)

    def _serve(self) -> None:
        path, query = [*self.path.split("?", 1), ""][:2]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(Response(413, [("Content-Type", "text/plain")], b"request too large\n"))
            return
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
        )
        try:
            response = self.app(request)
        except Exception:
            LOG.exception("%s %s failed in the edge", self.command, self.path)
            response = Response(
                500, [("Content-Type", "text/plain")], b"local edge: internal error (see its log)\n"
            )
        self._write(response)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("connection", "transfer-encoding", "date", "server"):
                self.send_header(name, value)
        server = response.header("Server")
        if server:
            self.send_header("Server", server)
        if response.status != 304 and not response.has_header("Content-Length"):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.status != 304:
            self.wfile.write(response.body)

    def version_string(self) -> str:
        return ""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


for _method in METHODS:
    setattr(_Handler, f"do_{_method}", _Handler._serve)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A refused handshake (a client that distrusts the self-signed certificate) or a
        # dropped connection: one line, not a traceback.
        LOG.info("connection from %s ended: %s", client_address[0], sys.exc_info()[1])


def make_server(
    host: str, port: int, app: Callable[[Request], Response], tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"app": staticmethod(app), "tls": tls})
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("Server", (_Server,), {"address_family": family})
    return server_class((host, port), handler)


def start_in_thread(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


def lambda_events_app(
    invoke_async: Callable[[str, dict[str, Any], str], None],
) -> Callable[[Request], Response]:
    """POST /lambda-events {"FunctionArn": ..., "Event": ...}: queued, answered 202 at once
    (S3 invokes its notification targets asynchronously)."""

    def app(request: Request) -> Response:
        if request.method != "POST" or request.path != "/lambda-events":
            return Response(404, [("Content-Type", "text/plain")], b"not found\n")
        try:
            delivery = json.loads(request.body)
            function_arn, event = delivery["FunctionArn"], delivery["Event"]
        except (ValueError, KeyError, TypeError):
            return Response(400, [("Content-Type", "text/plain")], b"expected {FunctionArn, Event}\n")
        invoke_async(function_arn, event, "S3 event")
        return Response(202, [("Content-Type", "application/json")], b"{}")

    return app
