"""Owncast stand-in for the haproxy scenario, on loopback only: a TCP echo server where
Owncast's RTMP port would be, and an HTTP server that answers "stand-in <path>" with 200
for every path, so a test can tell which requests HAProxy let through."""

from __future__ import annotations

import http.server
import socketserver
import threading

RTMP_PORT = 11980
HTTP_PORT = 11880


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class NamePath(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"stand-in {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ThreadingTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main() -> None:
    echo = ThreadingTCPServer(("127.0.0.1", RTMP_PORT), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    http.server.ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), NamePath).serve_forever()


if __name__ == "__main__":
    main()
