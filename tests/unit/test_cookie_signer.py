"""The pure-Python CloudFront cookie signer against botocore's CloudFrontSigner backed by
`cryptography` (an independent implementation), and the verifier's verdicts."""

from __future__ import annotations

import base64
import datetime
import functools
from urllib.parse import parse_qs, urlsplit

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer as cs
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HOST = "https://d111111abcdef8.cloudfront.net"
NOW = 1_900_000_000
KEY_ID = "K2JCJMDEHXQW5F"
OTHER_KEY_ID = "K3OTHERKEYID77"


@functools.cache
def rsa_key(bits: int, seed: int = 0) -> rsa.RSAPrivateKey:
    """Keys are generated per test session (never committed); seed tells distinct keys apart."""
    del seed
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(key: rsa.RSAPrivateKey, pem_format: str) -> str:
    formats = {
        "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
        "pkcs8": serialization.PrivateFormat.PKCS8,
    }
    return key.private_bytes(
        serialization.Encoding.PEM, formats[pem_format], serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def botocore_signer(key: rsa.RSAPrivateKey, key_id: str = KEY_ID) -> CloudFrontSigner:
    def rsa_signer(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 CloudFront's algorithm

    return CloudFrontSigner(key_id, rsa_signer)


def at(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)


POLICIES = [
    cs.Policy(resource=f"{HOST}/hls/*", expires_at=NOW + 3600),
    cs.Policy(resource=f"{HOST}/recordings/*", expires_at=NOW + 7200, not_before=NOW - 60),
    cs.Policy(resource=f"{HOST}/hls/*/stream.m3u8", expires_at=NOW + 60, source_ip="192.0.2.0/24"),
    cs.Policy(
        resource=f"{HOST}/hls/0/stream-?.ts",
        expires_at=NOW + 10,
        not_before=NOW,
        source_ip="203.0.113.7",
    ),
]


@pytest.mark.parametrize(
    ("bits", "pem_format"), [(2048, "pkcs1"), (2048, "pkcs8"), (4096, "pkcs1"), (4096, "pkcs8")]
)
@pytest.mark.parametrize("policy", POLICIES, ids=["plain", "not-before", "ip-range", "single-ip"])
def test_cookies_match_botocore_byte_for_byte(policy: cs.Policy, bits: int, pem_format: str) -> None:
    key = rsa_key(bits)
    reference = botocore_signer(key)
    reference_policy = reference.build_policy(
        policy.resource,
        at(policy.expires_at),
        date_greater_than=at(policy.not_before) if policy.not_before is not None else None,
        ip_address=policy.source_ip,
    )
    assert policy.to_json() == reference_policy

    url = reference.generate_presigned_url(f"{HOST}/any", policy=reference_policy)
    expected = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    cookies = cs.signed_cookies(policy, KEY_ID, cs.load_private_key(private_pem(key, pem_format)))

    assert cookies == {
        "CloudFront-Policy": expected["Policy"],
        "CloudFront-Signature": expected["Signature"],
        "CloudFront-Key-Pair-Id": expected["Key-Pair-Id"],
    }
    signature = cs.cloudfront_b64decode(cookies["CloudFront-Signature"])
    assert len(signature) == bits // 8


def test_raw_signature_equals_cryptography() -> None:
    """Signing goes through cryptography where it is importable (the venv, the session
    Lambda's zip); the pure-Python signer kept for machines without it gives the same
    bytes (PKCS#1 v1.5 is deterministic), and the pure-Python verifier accepts them."""
    assert cs.SIGNING_BACKEND == "cryptography"
    key = rsa_key(2048)
    message = b'{"Statement":[]}' * 7
    loaded = cs.load_private_key(private_pem(key, "pkcs8"))
    expected = key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    assert cs.sign(message, loaded) == expected
    assert cs.sign_with_python(message, loaded) == expected
    assert cs.verify_signature(message, expected, loaded.public_key)
    assert not cs.verify_signature(message + b" ", expected, loaded.public_key)


@pytest.mark.parametrize("pem_format", ["pkcs1", "pkcs8"])
def test_public_key_pem_is_what_cryptography_writes(pem_format: str) -> None:
    key = rsa_key(2048)
    ours = cs.load_private_key(private_pem(key, pem_format))
    assert cs.public_key_pem(ours) == public_pem(key)
    assert cs.load_public_key(public_pem(key)) == ours.public_key


def test_private_key_repr_hides_numbers() -> None:
    key = cs.load_private_key(private_pem(rsa_key(2048), "pkcs1"))
    assert str(key.d) not in repr(key)
    assert repr(key) == "RsaPrivateKey(bits=2048)"


def pem_block(label: str, body: str) -> str:
    """A PEM block that holds no key (assembled here so no key-like text is committed)."""
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("not a key", "found no PEM block"),
        (pem_block("CERTIFICATE", "AAAA"), "found CERTIFICATE"),
        (pem_block("RSA PRIVATE KEY", "!!!!"), "not base64"),
        (pem_block("PRIVATE KEY", "MAMCAQA="), "unexpected layout"),
    ],
)
def test_bad_private_keys_are_refused_clearly(pem: str, message: str) -> None:
    with pytest.raises(cs.KeyFormatError, match=message):
        cs.load_private_key(pem)


def test_encrypted_and_short_keys_are_refused() -> None:
    key = rsa_key(2048)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()
    with pytest.raises(cs.KeyFormatError, match="encrypted"):
        cs.load_private_key(encrypted)
    legacy_encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()
    with pytest.raises(cs.KeyFormatError, match="encrypted"):
        cs.load_private_key(legacy_encrypted)
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 the refusal is the test
    with pytest.raises(cs.KeyFormatError, match="1024 bits"):
        cs.load_private_key(private_pem(short, "pkcs8"))


# --------------------------------------------------------------------------- PEM parsing


def test_text_around_and_between_blocks_is_ignored() -> None:
    key = rsa_key(2048)
    expected = cs.load_private_key(private_pem(key, "pkcs1"))
    for pem_format in ("pkcs1", "pkcs8"):
        pem = private_pem(key, pem_format)
        wrapped = (
            "Bag Attributes\n    localKeyID: 01\n" + pem_block("CERTIFICATE", "AAAA") + pem + "trailer\n"
        )
        assert cs.load_private_key(wrapped) == expected
        assert cs.load_private_key(pem.replace("\n", "\r\n")) == expected
        assert cs.load_private_key("  " + pem.strip() + "  ") == expected
    public = public_pem(key)
    assert cs.load_public_key("junk\n" + public + public) == expected.public_key


def test_the_first_block_with_a_wanted_label_is_read() -> None:
    first, second = rsa_key(2048, seed=1), rsa_key(3072)
    pem = private_pem(first, "pkcs8") + private_pem(second, "pkcs1")
    assert cs.load_private_key(pem).bits == 2048


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n", "found no PEM block"),  # no END
        ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "found no PEM block"),
        ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY\n", "found no PEM block"),
        ("-----BEGIN rsa private key-----\nAAAA\n-----END rsa private key-----\n", "found no PEM block"),
        (pem_block("A" * 65, "AAAA"), "found no PEM block"),  # labels are short
        (pem_block("RSA PRIVATE KEY", "AAAA\n-----BEGIN X-----\nAAAA"), "found no PEM block"),
        (pem_block("RSA PRIVATE KEY", "AA-----AA"), "not base64"),
        (pem_block("RSA PRIVATE KEY", ""), "truncated DER"),
        ("-----BEGIN RSA PRIVATE KEY-----\n" * 2000, "found no PEM block"),
        (("-----BEGIN A-----" + " " * 20) * 300, "found no PEM block"),
    ],
    ids=[
        "no-end",
        "other-end",
        "broken-end",
        "lowercase",
        "long-label",
        "nested",
        "dashes",
        "empty",
        "begins",
        "spaces",
    ],
)
def test_malformed_pem_text_is_refused(pem: str, message: str) -> None:
    with pytest.raises(cs.KeyFormatError, match=message):
        cs.load_private_key(pem)


def test_a_block_inside_an_unclosed_block_is_the_one_read() -> None:
    pem = private_pem(rsa_key(2048), "pkcs1")
    assert cs.load_private_key("-----BEGIN RSA PRIVATE KEY-----\n" + pem).bits == 2048


def der_integer_key(width: int) -> str:
    """A PKCS#1 RSAPrivateKey whose modulus is an INTEGER of width bytes (no real key)."""
    integers = [cs._encode_integer(0), cs._encode_tlv(cs.DER_INTEGER, b"\x7f" * width)]
    integers += [cs._encode_integer(3)] * 7
    body = base64.b64encode(cs._encode_sequence(*integers)).decode()
    return pem_block("RSA PRIVATE KEY", body)


def test_integers_wider_than_any_supported_key_are_refused_before_arithmetic() -> None:
    limit = cs.MAX_KEY_BITS // 8 + 1
    with pytest.raises(cs.KeyFormatError, match="inconsistent"):
        cs.load_private_key(der_integer_key(limit))  # read, then found not to be a key
    for width in (limit + 1, 1_000_000):
        with pytest.raises(cs.KeyFormatError, match=f"wider than an RSA key of {cs.MAX_KEY_BITS} bits"):
            cs.load_private_key(der_integer_key(width))


# --------------------------------------------------------------------------- cookies


def test_issue_cookie_headers_are_host_only_secure_and_expire_with_the_policy() -> None:
    pem = private_pem(rsa_key(2048), "pkcs8")
    headers = cs.issue_cookie_headers(f"{HOST}/hls/*", KEY_ID, pem, 3600, path="/hls/", now=NOW)

    assert [header.split("=", 1)[0] for header in headers] == list(cs.COOKIE_NAMES)
    for header in headers:
        attributes = [part.strip() for part in header.split(";")[1:]]
        assert attributes == [
            "Path=/hls/",
            "Max-Age=3600",
            "Expires=Sun, 17 Mar 2030 18:46:40 GMT",  # NOW + 3600
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
        ]
        assert "domain" not in header.lower()
    cookies = {header.split("=", 1)[0]: header.split("=", 1)[1].split(";")[0] for header in headers}
    policy = cs.Policy.from_json(cs.cloudfront_b64decode(cookies["CloudFront-Policy"]))
    assert policy == cs.Policy(resource=f"{HOST}/hls/*", expires_at=NOW + 3600)


def test_same_site_is_configurable_and_checked() -> None:
    pem = private_pem(rsa_key(2048), "pkcs1")
    lax = cs.issue_cookie_headers(f"{HOST}/*", KEY_ID, pem, 60, same_site="Lax", now=NOW)
    assert all(header.endswith("SameSite=Lax") and "Path=/;" in header for header in lax)
    with pytest.raises(ValueError, match="same_site"):
        cs.issue_cookie_headers(f"{HOST}/*", KEY_ID, pem, 60, same_site="strict")
    with pytest.raises(ValueError, match="lifetime"):
        cs.issue_cookie_headers(f"{HOST}/*", KEY_ID, pem, 0)


def test_sign_out_headers_expire_the_three_cookies() -> None:
    headers = cs.sign_out_headers(path="/recordings/")
    assert len(headers) == 3
    for name, header in zip(cs.COOKIE_NAMES, headers, strict=True):
        assert header.startswith(
            f"{name}=; Path=/recordings/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        )
        assert header.endswith("; Secure; HttpOnly; SameSite=Strict")


def test_parse_cookie_header() -> None:
    header = "a=1; CloudFront-Policy=eyJ_; CloudFront-Key-Pair-Id=K1;a=2; flag"
    assert cs.parse_cookie_header(header) == {
        "a": "1",
        "CloudFront-Policy": "eyJ_",
        "CloudFront-Key-Pair-Id": "K1",
    }


# --------------------------------------------------------------------------- verifier


@pytest.fixture(scope="module")
def signing_key() -> cs.RsaPrivateKey:
    return cs.load_private_key(private_pem(rsa_key(2048), "pkcs8"))


@pytest.fixture(scope="module")
def group(signing_key: cs.RsaPrivateKey) -> dict[str, str]:
    """The trusted key group as the verifier gets it: key id -> public key PEM."""
    other = cs.load_private_key(private_pem(rsa_key(2048, seed=1), "pkcs1"))
    return {KEY_ID: cs.public_key_pem(signing_key), OTHER_KEY_ID: cs.public_key_pem(other)}


def grant(key: cs.RsaPrivateKey, key_id: str = KEY_ID, **policy: object) -> dict[str, str]:
    fields = {"resource": f"{HOST}/hls/*", "expires_at": NOW + 3600, **policy}
    return cs.signed_cookies(cs.Policy(**fields), key_id, key)  # type: ignore[arg-type]


def verdict(cookies: dict[str, str], group: dict[str, str], url: str = f"{HOST}/hls/0/stream.m3u8", **kw):
    return cs.verify_cookies(cookies, url, group, now=kw.pop("now", NOW), **kw)


def test_good_cookies_are_accepted(signing_key: cs.RsaPrivateKey, group: dict[str, str]) -> None:
    result = verdict(grant(signing_key), group)
    assert result.allowed and result and result.reason == cs.REASON_OK and result.key_id == KEY_ID
    assert verdict(grant(signing_key), {KEY_ID: cs.load_public_key(group[KEY_ID])}).allowed


def test_good_cookies_with_every_condition_are_accepted(signing_key, group) -> None:
    cookies = grant(signing_key, not_before=NOW - 5, source_ip="192.0.2.0/24")
    assert verdict(cookies, group, client_ip="192.0.2.77").allowed
    assert verdict(cookies, group, client_ip="192.0.2.77", now=NOW - 5).allowed


def test_cookies_from_a_cookie_header_are_accepted(signing_key, group) -> None:
    header = "; ".join(f"{name}={value}" for name, value in grant(signing_key).items())
    assert verdict(cs.parse_cookie_header(f"other=1; {header}"), group).allowed


def test_tampered_policy_is_refused(signing_key, group) -> None:
    cookies = grant(signing_key)
    longer = cs.Policy(resource=f"{HOST}/hls/*", expires_at=NOW + 999_999).to_json().encode()
    cookies["CloudFront-Policy"] = cs.cloudfront_b64encode(longer)
    assert verdict(cookies, group).reason == cs.REASON_BAD_SIGNATURE


def test_tampered_signature_is_refused(signing_key, group) -> None:
    cookies = grant(signing_key)
    signature = bytearray(cs.cloudfront_b64decode(cookies["CloudFront-Signature"]))
    signature[-1] ^= 0x01
    cookies["CloudFront-Signature"] = cs.cloudfront_b64encode(bytes(signature))
    assert verdict(cookies, group).reason == cs.REASON_BAD_SIGNATURE
    cookies["CloudFront-Signature"] = "not*base64"
    assert verdict(cookies, group).reason == cs.REASON_MALFORMED_POLICY


def test_signature_of_another_group_key_is_refused(signing_key, group) -> None:
    cookies = grant(signing_key, key_id=OTHER_KEY_ID)
    assert verdict(cookies, group).reason == cs.REASON_BAD_SIGNATURE


def test_expired_policy_is_refused(signing_key, group) -> None:
    cookies = grant(signing_key)
    assert verdict(cookies, group, now=NOW + 3599).allowed
    assert verdict(cookies, group, now=NOW + 3600).reason == cs.REASON_EXPIRED


def test_not_yet_valid_policy_is_refused(signing_key, group) -> None:
    cookies = grant(signing_key, not_before=NOW + 60)
    assert verdict(cookies, group).reason == cs.REASON_NOT_YET_VALID


@pytest.mark.parametrize(
    "url",
    [
        f"{HOST}/recordings/1/0/stream.m3u8",
        f"{HOST}/HLS/0/stream.m3u8",
        "https://elsewhere.example/hls/0/stream.m3u8",
        "http://d111111abcdef8.cloudfront.net/hls/0/stream.m3u8",
        f"{HOST}/hls",
    ],
)
def test_resource_that_does_not_match_is_refused(signing_key, group, url: str) -> None:
    assert verdict(grant(signing_key), group, url=url).reason == cs.REASON_RESOURCE_MISMATCH


def test_question_mark_matches_exactly_one_character(signing_key, group) -> None:
    cookies = grant(signing_key, resource=f"{HOST}/hls/0/stream-?.ts")
    assert verdict(cookies, group, url=f"{HOST}/hls/0/stream-7.ts").allowed
    assert verdict(cookies, group, url=f"{HOST}/hls/0/stream-17.ts").reason == cs.REASON_RESOURCE_MISMATCH
    assert verdict(cookies, group, url=f"{HOST}/hls/0/stream-.ts").reason == cs.REASON_RESOURCE_MISMATCH


def test_key_id_not_in_the_group_is_refused(signing_key, group) -> None:
    result = verdict(grant(signing_key, key_id="KNOTINTHEGROUP"), group)
    assert result.reason == cs.REASON_UNKNOWN_KEY and not result


def test_ip_outside_the_range_is_refused(signing_key, group) -> None:
    cookies = grant(signing_key, source_ip="192.0.2.0/24")
    assert verdict(cookies, group, client_ip="192.0.3.1").reason == cs.REASON_IP_NOT_ALLOWED
    assert verdict(cookies, group).reason == cs.REASON_IP_NOT_ALLOWED  # no client address known


def test_removed_key_after_rotation_is_refused(signing_key, group) -> None:
    old_cookies = grant(signing_key)
    new_key = cs.load_private_key(private_pem(rsa_key(2048, seed=2), "pkcs8"))
    rotated = {"KNEWKEY": cs.public_key_pem(new_key), KEY_ID: group[KEY_ID]}
    assert verdict(old_cookies, rotated).allowed  # grace period: the previous key still counts
    revoked = {"KNEWKEY": rotated["KNEWKEY"]}
    assert verdict(old_cookies, revoked).reason == cs.REASON_UNKNOWN_KEY
    assert verdict(grant(new_key, key_id="KNEWKEY"), revoked).allowed


@pytest.mark.parametrize("missing", cs.COOKIE_NAMES)
def test_missing_cookie_is_refused(signing_key, group, missing: str) -> None:
    cookies = grant(signing_key)
    del cookies[missing]
    assert verdict(cookies, group).reason == cs.REASON_MISSING_COOKIE


def test_signed_but_malformed_policy_is_refused(signing_key, group) -> None:
    body = b'{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":"soon"}}}]}'
    cookies = {
        "CloudFront-Policy": cs.cloudfront_b64encode(body),
        "CloudFront-Signature": cs.cloudfront_b64encode(cs.sign(body, signing_key)),
        "CloudFront-Key-Pair-Id": KEY_ID,
    }
    assert verdict(cookies, group).reason == cs.REASON_MALFORMED_POLICY
