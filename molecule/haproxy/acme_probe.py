"""ACME checks of the haproxy scenario, run on the controller: the certificate HAProxy
serves on 127.0.0.1:11443 for admin.privatecast.test chains to the root Pebble issues
from (read from Pebble's management API) and names the host; the HTTP-01 port answers
nothing but challenges. Prints the served certificate's serial and expiry as JSON on the
last line; exits non-zero when a check fails. Ports: molecule.yml and pebble.yml."""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

DOMAIN = "admin.privatecast.test"
HTTPS = ("127.0.0.1", 11443)
ACME_HTTP = "http://127.0.0.1:25140"
PEBBLE_ROOT_URL = "https://127.0.0.1:15000/roots/0"


def pebble_ca_file() -> Path:
    cache = os.environ.get("PRIVATECAST_CACHE", "/var/cache/privatecast")
    return Path(cache) / "pebble" / "2.10.3" / "certs" / "pebble.minica.pem"


def pebble_root() -> str:
    context = ssl.create_default_context(cafile=str(pebble_ca_file()))
    with urllib.request.urlopen(PEBBLE_ROOT_URL, timeout=5, context=context) as response:
        return response.read().decode()


def served_certificate(root_pem: str) -> x509.Certificate:
    """The handshake verifies the chain against Pebble's root and the host name."""
    context = ssl.create_default_context(cadata=root_pem)
    with socket.create_connection(HTTPS, timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der)


def status_of(path: str) -> int:
    try:
        with urllib.request.urlopen(f"{ACME_HTTP}{path}", timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> int:
    certificate = served_certificate(pebble_root())
    print(f"ok: HTTPS serves a certificate for {DOMAIN} that chains to Pebble's root")
    for path in ("/", "/admin/", "/.well-known/acme-challenge/unknown-token"):
        status = status_of(path)
        if status != 404:
            print(f"FAILED: {ACME_HTTP}{path} answered {status}, wanted 404", file=sys.stderr)
            return 1
    print("ok: the HTTP-01 port answers 404 to everything but a pending challenge")
    days_left = (certificate.not_valid_after_utc - datetime.now(UTC)).days
    print(
        json.dumps(
            {
                "serial": format(certificate.serial_number, "x"),
                "not_after": certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "days_left": days_left,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
