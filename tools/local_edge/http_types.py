"""The request and response the edge passes between its parts (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str  # the raw path as the viewer sent it, without the query
    query: str  # the raw query string, without '?'
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """The header's values joined with ',' (HTTP's rule for repeated fields); None if absent."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ",".join(values) if values else None

    @property
    def host(self) -> str:
        return self.header("host") or ""

    def cookie_header(self) -> str:
        """Every Cookie header, as one header (browsers send one; HTTP/2 may split it)."""
        return "; ".join(value for key, value in self.headers if key.lower() == "cookie")


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None

    def set_header(self, name: str, value: str) -> None:
        """Replace every header of that name by one with this value."""
        self.headers = [(key, old) for key, old in self.headers if key.lower() != name.lower()]
        self.headers.append((name, value))
