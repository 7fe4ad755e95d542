# -*- coding: utf-8 -*-
# Copyright: privatecast.streaming contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sign and verify CloudFront signed cookies.

The Ansible modules, the session Lambda and the local edge all use this one file.
Signatures (RSASSA-PKCS1-v1_5 with SHA-1, what CloudFront verifies) are made by
``cryptography`` (OpenSSL) when it is importable: the session Lambda's zip carries it
(roles/aws_api/files/lambda-requirements.txt), the controller's venv has it.
``SIGNING_BACKEND`` says which signer is in use ("cryptography" or "python"). Without
``cryptography`` the module still works with the standard library only: the PEM parsing,
a pure-Python signer (``sign_with_python``, kept and checked against ``cryptography`` by
the unit tests) and the verifier the local edge uses are done here.

Public API (stable):

Keys
    ``load_private_key(pem) -> RsaPrivateKey``   PKCS#1 ``RSA PRIVATE KEY`` or PKCS#8
        ``PRIVATE KEY`` (unencrypted). Raises ``KeyFormatError`` with a clear message.
    ``load_public_key(pem) -> RsaPublicKey``     SubjectPublicKeyInfo ``PUBLIC KEY`` (what
        CloudFront stores) or PKCS#1 ``RSA PUBLIC KEY``.
    ``public_key_pem(key) -> str``               SubjectPublicKeyInfo PEM of a public or
        private key, the form CloudFront's CreatePublicKey takes.
    ``RsaPrivateKey.public_key``, ``RsaPublicKey.bits``.

Signing
    ``Policy(resource, expires_at, not_before=None, source_ip=None)`` with ``.to_json()``
        and ``Policy.from_json(text)``: CloudFront's custom policy (epoch seconds).
    ``sign(message, private_key) -> bytes``      RSASSA-PKCS1-v1_5 with SHA-1, by
        ``cryptography`` when importable (``SIGNING_BACKEND``), else ``sign_with_python``.
    ``signed_cookies(policy, key_id, private_key) -> dict``  the three cookie values.
    ``set_cookie_headers(cookies, expires_at, path="/", same_site="Strict", now=None)``
    ``issue_cookie_headers(resource, key_id, private_key, lifetime, *, path="/", ...)``
        -> list of ``Set-Cookie`` header values for ``resource`` (for example
        ``https://<host>/hls/*``) valid for ``lifetime`` seconds. ``private_key`` is a
        PEM string or an ``RsaPrivateKey`` (parse once per process with
        ``load_private_key`` when signing often).
    ``sign_out_headers(path="/", same_site="Strict") -> list``  expired cookies that make
        the browser drop the three cookies set with that path.

Verifying (as CloudFront does)
    ``parse_cookie_header(header) -> dict``      a request's ``Cookie`` header.
    ``verify_cookies(cookies, url, trusted_keys, *, client_ip=None, now=None) -> Verdict``
        ``trusted_keys`` maps key ids of the key group to public keys (PEM or
        ``RsaPublicKey``). ``Verdict.allowed`` (also its truth value), ``.reason`` (one of
        the ``REASON_*`` constants), ``.detail`` and ``.key_id``.

Cookie attributes: host-only (no ``Domain``), ``Secure``, ``HttpOnly``, ``SameSite=Strict``
by default. The viewer page, the API and the video are served by one CloudFront host, so
every request that needs the cookies is same-site; ``Strict`` additionally keeps them off
requests that start on another site (a link or form elsewhere pointing at a playlist),
which ``Lax`` would still let through for top-level GET navigations.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from typing import Any

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:  # the standard-library signer below
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

SIGNING_BACKEND = "cryptography" if HAS_CRYPTOGRAPHY else "python"

POLICY_COOKIE = "CloudFront-Policy"
SIGNATURE_COOKIE = "CloudFront-Signature"
KEY_PAIR_ID_COOKIE = "CloudFront-Key-Pair-Id"
COOKIE_NAMES = (POLICY_COOKIE, SIGNATURE_COOKIE, KEY_PAIR_ID_COOKIE)
SAME_SITE_VALUES = ("Strict", "Lax", "None")
MIN_KEY_BITS = 2048

REASON_OK = "ok"
REASON_MISSING_COOKIE = "missing-cookie"
REASON_MALFORMED_POLICY = "malformed-policy"
REASON_UNKNOWN_KEY = "unknown-key"
REASON_BAD_SIGNATURE = "bad-signature"
REASON_EXPIRED = "expired"
REASON_NOT_YET_VALID = "not-yet-valid"
REASON_RESOURCE_MISMATCH = "resource-mismatch"
REASON_IP_NOT_ALLOWED = "ip-not-allowed"

# DER of DigestInfo{AlgorithmIdentifier{sha1, NULL}, OCTET STRING(20)} before the digest
# (RFC 8017, section 9.2, note 1).
SHA1_DIGEST_INFO_PREFIX = bytes.fromhex("3021300906052b0e03021a05000414")
RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1

DER_INTEGER = 0x02
DER_BIT_STRING = 0x03
DER_OCTET_STRING = 0x04
DER_NULL = 0x05
DER_OID = 0x06
DER_SEQUENCE = 0x30

_CLOUDFRONT_B64_ENCODE = bytes.maketrans(b"+=/", b"-_~")
_CLOUDFRONT_B64_DECODE = bytes.maketrans(b"-_~", b"+=/")
# One encapsulation boundary (RFC 7468): the label is bounded, so each try at a "-----"
# costs at most a constant and a scan of the whole text stays linear in its length.
_PEM_BOUNDARY = re.compile(r"-----(BEGIN|END) ([A-Z0-9 ]{1,64})-----")
# A DER INTEGER wider than this cannot belong to an RSA key anyone uses; refusing it before
# any arithmetic keeps a crafted key from costing quadratic time in the key checks.
MAX_KEY_BITS = 16384


class KeyFormatError(ValueError):
    """A key that is not an unencrypted RSA key in a supported PEM form."""


class PolicyError(ValueError):
    """A policy that is not a CloudFront custom policy this module understands."""


# --------------------------------------------------------------------------- base64


def cloudfront_b64encode(data: bytes) -> str:
    """Base64 with CloudFront's substitutions: + -> -, = -> _, / -> ~."""
    return base64.b64encode(data).translate(_CLOUDFRONT_B64_ENCODE).decode("ascii")


def cloudfront_b64decode(text: str) -> bytes:
    """Inverse of cloudfront_b64encode; raises ValueError on anything else."""
    try:
        raw = text.encode("ascii").translate(_CLOUDFRONT_B64_DECODE)
        return base64.b64decode(raw, validate=True)
    except (UnicodeEncodeError, binascii.Error) as error:
        raise ValueError(f"not CloudFront base64: {error}") from None


# --------------------------------------------------------------------------- DER


def _read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One DER element at offset: (tag, contents, offset after it)."""
    if offset + 2 > len(data):
        raise KeyFormatError("truncated DER element")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise KeyFormatError("unsupported DER length encoding")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise KeyFormatError("DER element runs past the end of the key")
    return tag, data[offset:end], end


def _read_sequence(data: bytes) -> list[tuple[int, bytes]]:
    """The elements of the one SEQUENCE that makes up data."""
    tag, contents, end = _read_tlv(data, 0)
    if tag != DER_SEQUENCE or end != len(data):
        raise KeyFormatError("expected a single DER SEQUENCE")
    elements = []
    offset = 0
    while offset < len(contents):
        element_tag, element, offset = _read_tlv(contents, offset)
        elements.append((element_tag, element))
    return elements


def _as_integer(element: tuple[int, bytes]) -> int:
    tag, contents = element
    if tag != DER_INTEGER or not contents:
        raise KeyFormatError("expected a DER INTEGER")
    if len(contents) > MAX_KEY_BITS // 8 + 1:
        raise KeyFormatError(f"a DER INTEGER is wider than an RSA key of {MAX_KEY_BITS} bits holds")
    return int.from_bytes(contents, "big", signed=True)


def _encode_tlv(tag: int, contents: bytes) -> bytes:
    length = len(contents)
    if length < 0x80:
        return bytes([tag, length]) + contents
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length_bytes)]) + length_bytes + contents


def _encode_integer(value: int) -> bytes:
    return _encode_tlv(DER_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _encode_sequence(*elements: bytes) -> bytes:
    return _encode_tlv(DER_SEQUENCE, b"".join(elements))


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class RsaPublicKey:
    n: int
    e: int

    @property
    def bits(self) -> int:
        return self.n.bit_length()

    @property
    def size_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8


@dataclass(frozen=True, repr=False)
class RsaPrivateKey:
    n: int
    e: int
    d: int
    p: int
    q: int
    dp: int
    dq: int
    qinv: int

    def __repr__(self) -> str:  # never print the private numbers
        return f"RsaPrivateKey(bits={self.n.bit_length()})"

    @property
    def public_key(self) -> RsaPublicKey:
        return RsaPublicKey(self.n, self.e)

    @property
    def bits(self) -> int:
        return self.public_key.bits

    @property
    def size_bytes(self) -> int:
        return self.public_key.size_bytes


def _pem_blocks(pem: str) -> list[tuple[str, str]]:
    """(label, body) of every BEGIN boundary directly followed by the END boundary of the
    same label; the body is the text between them. One pass over the boundaries, so the
    time is linear in the text's length whatever it holds (the former backreferencing
    regular expression took quadratic time and worse on text with many BEGIN lines)."""
    if not isinstance(pem, str):
        raise KeyFormatError("a key must be PEM text")
    blocks: list[tuple[str, str]] = []
    opened: re.Match[str] | None = None
    for boundary in _PEM_BOUNDARY.finditer(pem):
        kind, label = boundary.group(1), boundary.group(2)
        if kind == "END" and opened is not None and opened.group(2) == label:
            blocks.append((label, pem[opened.end() : boundary.start()].strip()))
        opened = boundary if kind == "BEGIN" else None
    return blocks


def _pem_der(pem: str, labels: tuple[str, ...], what: str) -> tuple[str, bytes]:
    """The label and DER of the first PEM block with one of these labels."""
    blocks = _pem_blocks(pem)
    for label, body in blocks:
        if label in labels:
            if "Proc-Type:" in body or "DEK-Info:" in body:
                raise KeyFormatError(f"the {what} is encrypted; give it without a passphrase")
            try:
                return label, base64.b64decode("".join(body.split()), validate=True)
            except binascii.Error:
                raise KeyFormatError(f"the {what} PEM body is not base64") from None
    found = ", ".join(label for label, _body in blocks) or "no PEM block"
    if "ENCRYPTED PRIVATE KEY" in found:
        raise KeyFormatError(f"the {what} is encrypted; give it without a passphrase")
    wanted = " or ".join(f"'-----BEGIN {label}-----'" for label in labels)
    raise KeyFormatError(f"expected an RSA {what} in PEM form ({wanted}); found {found}")


def _check_algorithm(element: tuple[int, bytes]) -> None:
    tag, contents = element
    if tag != DER_SEQUENCE:
        raise KeyFormatError("expected an AlgorithmIdentifier")
    oid_tag, oid, _end = _read_tlv(contents, 0)
    if oid_tag != DER_OID or oid != RSA_ENCRYPTION_OID:
        raise KeyFormatError("the key is not an RSA key (CloudFront needs RSA)")


def _check_size(bits: int) -> None:
    if bits < MIN_KEY_BITS:
        raise KeyFormatError(f"the RSA key has {bits} bits; at least {MIN_KEY_BITS} are required")


def _rsa_private_key_from_pkcs1(der: bytes) -> RsaPrivateKey:
    elements = _read_sequence(der)
    if len(elements) < 9:
        raise KeyFormatError("RSAPrivateKey has too few fields")
    version, n, e, d, p, q, dp, dq, qinv = (_as_integer(element) for element in elements[:9])
    if version != 0:
        raise KeyFormatError("multi-prime RSA keys are not supported")
    key = RsaPrivateKey(n=n, e=e, d=d, p=p, q=q, dp=dp, dq=dq, qinv=qinv)
    _check_private_key_consistency(key)
    return key


def _check_private_key_consistency(key: RsaPrivateKey) -> None:
    consistent = (
        key.p > 1
        and key.q > 1
        and key.p * key.q == key.n
        and key.dp == key.d % (key.p - 1)
        and key.dq == key.d % (key.q - 1)
        and (key.qinv * key.q) % key.p == 1
        and (key.e * key.dp) % (key.p - 1) == 1
    )
    if not consistent:
        raise KeyFormatError("the RSA private key is inconsistent (corrupted?)")
    _check_size(key.bits)


def load_private_key(pem: str) -> RsaPrivateKey:
    """Parse an unencrypted RSA private key: PKCS#1 'RSA PRIVATE KEY' or PKCS#8 'PRIVATE KEY'."""
    label, der = _pem_der(pem, ("RSA PRIVATE KEY", "PRIVATE KEY"), "private key")
    if label == "RSA PRIVATE KEY":
        return _rsa_private_key_from_pkcs1(der)
    elements = _read_sequence(der)
    if len(elements) < 3 or _as_integer(elements[0]) not in (0, 1):
        raise KeyFormatError("PrivateKeyInfo has an unexpected layout")
    _check_algorithm(elements[1])
    tag, inner = elements[2]
    if tag != DER_OCTET_STRING:
        raise KeyFormatError("PrivateKeyInfo holds no private key octets")
    return _rsa_private_key_from_pkcs1(inner)


def load_public_key(pem: str) -> RsaPublicKey:
    """Parse an RSA public key: SubjectPublicKeyInfo 'PUBLIC KEY' or PKCS#1 'RSA PUBLIC KEY'."""
    label, der = _pem_der(pem, ("PUBLIC KEY", "RSA PUBLIC KEY"), "public key")
    if label == "PUBLIC KEY":
        elements = _read_sequence(der)
        if len(elements) != 2:
            raise KeyFormatError("SubjectPublicKeyInfo has an unexpected layout")
        _check_algorithm(elements[0])
        tag, bits = elements[1]
        if tag != DER_BIT_STRING or not bits or bits[0] != 0:
            raise KeyFormatError("SubjectPublicKeyInfo holds no public key bits")
        der = bits[1:]
    fields = _read_sequence(der)
    if len(fields) != 2:
        raise KeyFormatError("RSAPublicKey has an unexpected layout")
    key = RsaPublicKey(n=_as_integer(fields[0]), e=_as_integer(fields[1]))
    if key.n <= 0 or key.e < 3 or key.e % 2 == 0:
        raise KeyFormatError("the RSA public key has invalid numbers")
    _check_size(key.bits)
    return key


def public_key_pem(key: RsaPublicKey | RsaPrivateKey) -> str:
    """SubjectPublicKeyInfo PEM ('-----BEGIN PUBLIC KEY-----'), as CloudFront takes it."""
    public = key.public_key if isinstance(key, RsaPrivateKey) else key
    rsa_public_key = _encode_sequence(_encode_integer(public.n), _encode_integer(public.e))
    algorithm = _encode_sequence(_encode_tlv(DER_OID, RSA_ENCRYPTION_OID), _encode_tlv(DER_NULL, b""))
    spki = _encode_sequence(algorithm, _encode_tlv(DER_BIT_STRING, b"\x00" + rsa_public_key))
    body = base64.b64encode(spki).decode("ascii")
    lines = [body[start : start + 64] for start in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


# --------------------------------------------------------------------------- RSA


def _emsa_pkcs1_v15_sha1(message: bytes, size_bytes: int) -> bytes:
    """EM = 0x00 0x01 FF..FF 0x00 DigestInfo(SHA-1(message)), RFC 8017 section 9.2."""
    digest_info = SHA1_DIGEST_INFO_PREFIX + hashlib.sha1(message).digest()  # noqa: S324 CloudFront's algorithm
    padding = size_bytes - len(digest_info) - 3
    if padding < 8:
        raise ValueError("the RSA key is too short for a SHA-1 signature")
    return b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info


def _private_operation(key: RsaPrivateKey, value: int) -> int:
    """value^d mod n by the Chinese remainder theorem, blinded against timing."""
    while True:
        blind = secrets.randbelow(key.n - 2) + 2
        try:
            unblind = pow(blind, -1, key.n)
            break
        except ValueError:  # blind shares a factor with n: astronomically unlikely
            continue
    blinded = (value * pow(blind, key.e, key.n)) % key.n
    m1 = pow(blinded % key.p, key.dp, key.p)
    m2 = pow(blinded % key.q, key.dq, key.q)
    h = (key.qinv * (m1 - m2)) % key.p
    return ((m2 + h * key.q) * unblind) % key.n


@lru_cache(maxsize=8)
def _openssl_private_key(key: RsaPrivateKey) -> Any:
    """The key as cryptography's RSAPrivateKey (OpenSSL checks it), made once per key."""
    public_numbers = rsa.RSAPublicNumbers(key.e, key.n)
    numbers = rsa.RSAPrivateNumbers(key.p, key.q, key.d, key.dp, key.dq, key.qinv, public_numbers)
    return numbers.private_key()


def sign(message: bytes, private_key: RsaPrivateKey) -> bytes:
    """RSASSA-PKCS1-v1_5 signature of message with SHA-1 (what CloudFront verifies), by
    cryptography (OpenSSL) when importable, else by sign_with_python."""
    if HAS_CRYPTOGRAPHY:
        return _openssl_private_key(private_key).sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 CloudFront's algorithm
    return sign_with_python(message, private_key)


def sign_with_python(message: bytes, private_key: RsaPrivateKey) -> bytes:
    """The same signature with the standard library only (PKCS#1 v1.5 is deterministic, so
    both signers give the same bytes)."""
    size = private_key.size_bytes
    encoded = int.from_bytes(_emsa_pkcs1_v15_sha1(message, size), "big")
    signature = _private_operation(private_key, encoded)
    # A fault in the CRT step would leak a factor of n; never hand out a wrong signature.
    if pow(signature, private_key.e, private_key.n) != encoded:
        raise RuntimeError("RSA signature self-check failed")
    return signature.to_bytes(size, "big")


def verify_signature(message: bytes, signature: bytes, public_key: RsaPublicKey) -> bool:
    """True when signature is a valid RSASSA-PKCS1-v1_5 SHA-1 signature of message."""
    size = public_key.size_bytes
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= public_key.n:
        return False
    recovered = pow(value, public_key.e, public_key.n).to_bytes(size, "big")
    return hmac.compare_digest(recovered, _emsa_pkcs1_v15_sha1(message, size))


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Policy:
    """A CloudFront custom policy: one statement, times in epoch seconds."""

    resource: str
    expires_at: int
    not_before: int | None = None
    source_ip: str | None = None

    def to_json(self) -> str:
        """Compact JSON in the key order CloudFront documents and botocore produces."""
        condition: dict[str, dict[str, int | str]] = {"DateLessThan": {"AWS:EpochTime": int(self.expires_at)}}
        if self.source_ip:
            condition["IpAddress"] = {"AWS:SourceIp": _as_cidr(self.source_ip)}
        if self.not_before is not None:
            condition["DateGreaterThan"] = {"AWS:EpochTime": int(self.not_before)}
        statement = {"Resource": self.resource, "Condition": condition}
        return json.dumps({"Statement": [statement]}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Policy:
        """Parse a custom policy; raises PolicyError for anything CloudFront would refuse."""
        try:
            document = json.loads(text)
            statements = document["Statement"]
            if not isinstance(statements, list) or len(statements) != 1:
                raise PolicyError("a policy must hold exactly one statement")
            statement = statements[0]
            unknown = set(statement) - {"Resource", "Condition"}
            if unknown:
                raise PolicyError(f"unknown statement fields: {sorted(unknown)}")
            condition = statement["Condition"]
            unknown = set(condition) - {"DateLessThan", "DateGreaterThan", "IpAddress"}
            if unknown:
                raise PolicyError(f"unknown conditions: {sorted(unknown)}")
            # Without a Resource, CloudFront applies the policy to every URL.
            resource = statement.get("Resource", "*")
            if not isinstance(resource, str):
                raise PolicyError("Resource must be a string")
            expires_at = _epoch(condition["DateLessThan"])
            not_before = _epoch(condition["DateGreaterThan"]) if "DateGreaterThan" in condition else None
            source_ip = condition["IpAddress"]["AWS:SourceIp"] if "IpAddress" in condition else None
            if source_ip is not None:
                source_ip = _as_cidr(source_ip)
        except PolicyError:
            raise
        except (ValueError, KeyError, TypeError) as error:
            raise PolicyError(f"not a CloudFront custom policy: {error!r}") from None
        return cls(resource=resource, expires_at=expires_at, not_before=not_before, source_ip=source_ip)


def _epoch(condition: object) -> int:
    if not isinstance(condition, dict) or set(condition) != {"AWS:EpochTime"}:
        raise PolicyError("a date condition must be {'AWS:EpochTime': <seconds>}")
    value = condition["AWS:EpochTime"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError("AWS:EpochTime must be an integer")
    return value


def _as_cidr(address: str) -> str:
    """'a.b.c.d' becomes 'a.b.c.d/32' (as botocore does); CIDRs pass after validation."""
    if not isinstance(address, str):
        raise PolicyError("AWS:SourceIp must be a string")
    if "/" not in address:
        address += "/128" if ":" in address else "/32"
    try:
        ipaddress.ip_network(address, strict=False)
    except ValueError as error:
        raise PolicyError(f"AWS:SourceIp is not an address range: {error}") from None
    return address


# --------------------------------------------------------------------------- cookies


def signed_cookies(policy: Policy, key_id: str, private_key: RsaPrivateKey) -> dict[str, str]:
    """The three cookie values that carry policy, signature and key id."""
    policy_bytes = policy.to_json().encode("utf-8")
    return {
        POLICY_COOKIE: cloudfront_b64encode(policy_bytes),
        SIGNATURE_COOKIE: cloudfront_b64encode(sign(policy_bytes, private_key)),
        KEY_PAIR_ID_COOKIE: key_id,
    }


def _cookie_attributes(path: str, same_site: str, max_age: int, expires_at: float) -> str:
    if same_site not in SAME_SITE_VALUES:
        raise ValueError(f"same_site must be one of {SAME_SITE_VALUES}, not {same_site!r}")
    if not path.startswith("/") or any(char in path for char in ";,\r\n "):
        raise ValueError(f"cookie path must be an absolute path without separators: {path!r}")
    expires = formatdate(expires_at, usegmt=True)
    return f"Path={path}; Max-Age={max_age}; Expires={expires}; Secure; HttpOnly; SameSite={same_site}"


def set_cookie_headers(
    cookies: Mapping[str, str],
    expires_at: int,
    path: str = "/",
    same_site: str = "Strict",
    now: float | None = None,
) -> list[str]:
    """Set-Cookie values: host-only, Secure, HttpOnly; they expire with the policy."""
    now = time.time() if now is None else now
    max_age = max(0, int(expires_at - now))
    attributes = _cookie_attributes(path, same_site, max_age, expires_at)
    return [f"{name}={cookies[name]}; {attributes}" for name in COOKIE_NAMES]


def issue_cookie_headers(
    resource: str,
    key_id: str,
    private_key: str | RsaPrivateKey,
    lifetime: int,
    *,
    path: str = "/",
    same_site: str = "Strict",
    now: float | None = None,
    not_before: int | None = None,
    source_ip: str | None = None,
) -> list[str]:
    """Set-Cookie values granting resource (e.g. 'https://<host>/hls/*') for lifetime seconds."""
    if lifetime <= 0:
        raise ValueError("lifetime must be a positive number of seconds")
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    now = time.time() if now is None else now
    expires_at = int(now) + int(lifetime)
    policy = Policy(resource=resource, expires_at=expires_at, not_before=not_before, source_ip=source_ip)
    return set_cookie_headers(signed_cookies(policy, key_id, key), expires_at, path, same_site, now)


def sign_out_headers(path: str = "/", same_site: str = "Strict") -> list[str]:
    """Set-Cookie values that make the browser drop the three cookies set with path."""
    attributes = _cookie_attributes(path, same_site, 0, 0)
    return [f"{name}=; {attributes}" for name in COOKIE_NAMES]


# --------------------------------------------------------------------------- verifier


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    detail: str = ""
    key_id: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


def parse_cookie_header(header: str) -> dict[str, str]:
    """Name -> value from a Cookie request header (the first of duplicate names wins)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, separator, value = part.strip().partition("=")
        if separator and name and name not in cookies:
            cookies[name] = value.strip()
    return cookies


def resource_matches(resource: str, url: str) -> bool:
    """CloudFront's Resource match: case-sensitive, '*' any characters, '?' exactly one."""
    pattern = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in resource)
    return re.fullmatch(pattern, url, flags=re.DOTALL) is not None


def _refuse(reason: str, detail: str, key_id: str | None = None) -> Verdict:
    return Verdict(allowed=False, reason=reason, detail=detail, key_id=key_id)


def _trusted_key(trusted_keys: Mapping[str, str | RsaPublicKey], key_id: str) -> RsaPublicKey | None:
    # Compare every id in constant time so a probe cannot learn a prefix of a group's key id.
    found = None
    for candidate_id, key in trusted_keys.items():
        if hmac.compare_digest(candidate_id.encode(), key_id.encode()):
            found = key
    if found is None:
        return None
    return load_public_key(found) if isinstance(found, str) else found


def _check_policy(policy: Policy, url: str, client_ip: str | None, now: float) -> Verdict | None:
    if now >= policy.expires_at:
        return _refuse(REASON_EXPIRED, f"policy expired at {policy.expires_at}")
    if policy.not_before is not None and now < policy.not_before:
        return _refuse(REASON_NOT_YET_VALID, f"policy valid from {policy.not_before}")
    if not resource_matches(policy.resource, url):
        return _refuse(REASON_RESOURCE_MISMATCH, f"{url} is not within {policy.resource}")
    if policy.source_ip is not None:
        network = ipaddress.ip_network(policy.source_ip, strict=False)
        try:
            inside = client_ip is not None and ipaddress.ip_address(client_ip) in network
        except ValueError:
            inside = False
        if not inside:
            return _refuse(REASON_IP_NOT_ALLOWED, f"client {client_ip} is not in {policy.source_ip}")
    return None


def verify_cookies(
    cookies: Mapping[str, str],
    url: str,
    trusted_keys: Mapping[str, str | RsaPublicKey],
    *,
    client_ip: str | None = None,
    now: float | None = None,
) -> Verdict:
    """Decide as CloudFront would whether these cookies grant a request for url.

    url is the full request URL ('https://<host>/<path>[?query]'); trusted_keys maps the
    key group's public key ids to their public keys; client_ip is the viewer's address.
    """
    missing = [name for name in COOKIE_NAMES if not cookies.get(name)]
    if missing:
        return _refuse(REASON_MISSING_COOKIE, f"missing {', '.join(missing)}")
    key_id = cookies[KEY_PAIR_ID_COOKIE]
    public_key = _trusted_key(trusted_keys, key_id)
    if public_key is None:
        return _refuse(REASON_UNKNOWN_KEY, f"key {key_id} is not in the trusted key group", key_id)
    policy = _signed_policy(cookies, public_key)
    if isinstance(policy, Verdict):
        return Verdict(allowed=False, reason=policy.reason, detail=policy.detail, key_id=key_id)
    refusal = _check_policy(policy, url, client_ip, time.time() if now is None else now)
    if refusal is not None:
        return Verdict(allowed=False, reason=refusal.reason, detail=refusal.detail, key_id=key_id)
    return Verdict(allowed=True, reason=REASON_OK, detail=f"granted by key {key_id}", key_id=key_id)


def _signed_policy(cookies: Mapping[str, str], public_key: RsaPublicKey) -> Policy | Verdict:
    """The policy the cookies carry once its signature checks out, or the refusal."""
    try:
        policy_bytes = cloudfront_b64decode(cookies[POLICY_COOKIE])
        signature = cloudfront_b64decode(cookies[SIGNATURE_COOKIE])
    except ValueError as error:
        return _refuse(REASON_MALFORMED_POLICY, str(error))
    if not verify_signature(policy_bytes, signature, public_key):
        return _refuse(REASON_BAD_SIGNATURE, "the signature does not match the policy and key")
    try:
        return Policy.from_json(policy_bytes)
    except PolicyError as error:
        return _refuse(REASON_MALFORMED_POLICY, str(error))
