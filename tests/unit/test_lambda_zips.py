"""Every function's zip as the aws_api role ships it, run alone: built by the role's
packager from the handler's imports, unpacked, and imported in a fresh `python -I -S`
whose sys.path holds only the zip, boto3 with its dependencies (what the Lambda runtime
adds) and the standard library: nothing of the collection, nothing else of the venv. Each
handler is called once with a minimal event and the environment the role sets, its AWS
calls going to a moto server.

The functions run on arm64; this machine is x86_64 and cannot load aarch64 wheels, so
the run uses the same build for x86_64 (same pinned versions, digests checked) and a
CPython 3.12 when the machine has one (the runtime's version; else this interpreter's,
with its own pinned cffi wheel). The arm64 build itself is checked for what it carries:
the same files, with every shared object an aarch64 ELF.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.privatecast.streaming.plugins.module_utils import cookie_signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import FAKE_CREDENTIALS, REPO_ROOT
from tests.support import lambda_zip
from tests.support.moto_server import MotoServer
from tests.unit.lambda_support import api_event, claims, s3_event
from tests.unit.maintenance_stack import build_stack
from tools.local_edge import lambdas

STACK = "zipstack"
BUCKET = "zipstack-video"
REGION = "us-east-1"
PUBLIC_HOST = "d111111abcdef8.cloudfront.net"
KEY_ID = "K2JCJMDEHXQW5F"
SIGNING_KEY_PARAMETER = f"/privatecast/{STACK}/cloudfront/signing-key"
DISTRIBUTION_PARAMETER = f"/privatecast/{STACK}/cloudfront/distribution"
CERTIFICATE_PARAMETER = f"/privatecast/{STACK}/haproxy/certificate"
DISTRIBUTION_ID = "E2ZIPSTACK0001"
ADMIN = claims("admin-1", ["admins"])
VIEWER = claims("viewer-1", ["viewers"])

# A value for every variable the role gives a function (vars/main.yml); a new variable
# fails test_every_variable_the_role_sets_has_a_value until it has one here.
ENVIRONMENT = {
    "PRIVATECAST_BUCKET": BUCKET,
    "PRIVATECAST_LIVE_MAX_AGE_SECONDS": "30",
    "PRIVATECAST_SIGNING_KEY_PARAMETER": SIGNING_KEY_PARAMETER,
    "PRIVATECAST_DISTRIBUTION_PARAMETER": DISTRIBUTION_PARAMETER,
    "PRIVATECAST_CERTIFICATE_PARAMETER": CERTIFICATE_PARAMETER,
    "PRIVATECAST_HLS_COOKIE_TTL_SECONDS": "60",
    "PRIVATECAST_RECORDINGS_COOKIE_TTL_SECONDS": "120",
    "PRIVATECAST_RECORDING_CLOSE_AFTER_SECONDS": "15",
    "PRIVATECAST_IDLE_STOP_SECONDS": "1800",
    "PRIVATECAST_MAINTENANCE_MAX_OPEN_SECONDS": "7200",
}

# One minimal event per function, and what its answer must show.
EVENTS: dict[str, Any] = {
    "status": api_event("GET /api/status", ADMIN),
    "servers": api_event("POST /api/servers/start", ADMIN),
    "session": api_event("POST /api/session", VIEWER),
    "recordings": api_event("GET /api/recordings", VIEWER),
    "archiver": s3_event(BUCKET, "hls/0/stream-zipsession-0.ts"),
    "housekeeping": {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
}
ELF_MACHINE = {"aarch64": 183, "x86_64": 62}
FUNCTIONS = lambda_zip.functions()


def function_env(function: lambda_zip.Function, endpoint: str) -> dict[str, str]:
    """What the role and Lambda set: the common and the function's variables, region,
    credentials (moto's), and nothing of this process."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "PRIVATECAST_STACK": STACK,
        "PRIVATECAST_AWS_ENDPOINT_URL": endpoint,
        **{name: value for name, value in FAKE_CREDENTIALS.items() if name != "AWS_DEFAULT_REGION"},
    }
    env.update({name: ENVIRONMENT[name] for name in function.environment})
    return env


@dataclass(frozen=True)
class Shipped:
    """Every function's zip for this machine (x86_64) unpacked under folder/<name>/, the
    runtime's boto3 folder and the interpreter to run them with."""

    folder: Path
    runtime_dir: Path
    interpreter: lambda_zip.Interpreter

    def run(self, name: str, handler: str, event: Any, env: dict[str, str], report: Path) -> dict[str, Any]:
        return lambda_zip.run_handler(
            self.interpreter,
            self.folder / name,
            handler,
            runtime_dir=self.runtime_dir,
            event=event,
            env=env,
            report=report,
        )


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Shipped:
    interpreter = lambda_zip.lambda_python()
    folder = tmp_path_factory.mktemp("zips")
    for function in FUNCTIONS:
        archive = folder / f"{function.name}.zip"
        lambda_zip.package(
            archive, function.handler, architecture="x86_64", python_version=interpreter.version
        )
        lambda_zip.unpack(archive, folder / function.name)
    return Shipped(folder, lambda_zip.runtime_site(tmp_path_factory.mktemp("runtime")), interpreter)


@pytest.fixture
def signing_key(moto: MotoServer) -> rsa.RSAPrivateKey:
    """The stack as the roles leave it: network and servers, bucket, the signing key in SSM."""
    build_stack(moto.client("ec2"), STACK)
    moto.client("s3").create_bucket(Bucket=BUCKET)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    moto.client("ssm").put_parameter(
        Name=SIGNING_KEY_PARAMETER,
        Type="SecureString",
        Value=json.dumps({"key_id": KEY_ID, "private_key_pem": pem}),
    )
    # What aws_api's distribution entry point writes once the distribution exists.
    moto.client("ssm").put_parameter(
        Name=DISTRIBUTION_PARAMETER,
        Type="String",
        Value=json.dumps({"host": PUBLIC_HOST, "id": DISTRIBUTION_ID}),
    )
    return key


def test_every_variable_the_role_sets_has_a_value() -> None:
    assert {function.name for function in FUNCTIONS} == set(EVENTS)
    for function in FUNCTIONS:
        assert set(function.environment) <= set(ENVIRONMENT), function.name


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.name)
def test_each_function_runs_from_its_zip_alone(
    function: lambda_zip.Function,
    shipped: Shipped,
    moto: MotoServer,
    signing_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    env = function_env(function, moto.url)
    report = shipped.run(
        function.name, function.handler, EVENTS[function.name], env, tmp_path / "report.json"
    )

    inside = (str(shipped.folder / function.name) + "/", str(shipped.runtime_dir) + "/")
    outside = {
        name: file
        for name, file in report["loaded"].items()
        if file is not None and not file.startswith(inside)
    }
    assert outside == {}, f"{function.name} loaded modules from outside its zip and the runtime"
    check_answer(function.name, report["result"], signing_key)


def check_answer(name: str, result: Any, signing_key: rsa.RSAPrivateKey) -> None:
    if name in ("status", "recordings"):
        assert result["statusCode"] == 200, result
    elif name == "servers":
        assert result["statusCode"] == 200, result
        body = json.loads(result["body"])
        assert body["changed"] == []
        assert {server["state"] for server in body["servers"].values()} == {"running"}
    elif name == "session":
        check_session(result, signing_key)
    elif name == "archiver":
        assert isinstance(result, dict), result
    else:
        assert result["maintenance"] == {"closed": False, "reason": "no window is open"}, result


def check_session(result: dict[str, Any], signing_key: rsa.RSAPrivateKey) -> None:
    """The cookies the zip's session function signed pass CloudFront's check (the
    collection's verifier with the stack's public key) for the public host's /hls/."""
    assert result["statusCode"] == 200, result
    hls = [cookie.split(";", 1)[0] for cookie in result["cookies"] if "Path=/hls/;" in cookie]
    public = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verdict = cookie_signer.verify_cookies(
        cookie_signer.parse_cookie_header("; ".join(hls)),
        f"https://{PUBLIC_HOST}/hls/0/stream.m3u8",
        {KEY_ID: public.decode()},
    )
    assert verdict.allowed, verdict


def test_the_session_function_signs_with_the_zips_cryptography(shipped: Shipped, tmp_path: Path) -> None:
    report = shipped.run("session", "cookie_signer.SIGNING_BACKEND", None, {}, tmp_path / "report.json")

    code_dir = shipped.folder / "session"
    assert report["result"] == "cryptography"
    assert report["loaded"]["cryptography"] == str(code_dir / "cryptography" / "__init__.py")
    assert report["loaded"]["_cffi_backend"].startswith(str(code_dir) + "/")


def test_only_the_session_function_carries_libraries(shipped: Shipped) -> None:
    for function in FUNCTIONS:
        entries = sorted(path.name for path in (shipped.folder / function.name).iterdir())
        libraries = [name for name in entries if name.endswith(".dist-info")]
        if function.name == "session":
            assert libraries == [
                "cffi-2.1.1.dist-info",
                "cryptography-50.0.2.dist-info",
                "pycparser-3.12.dist-info",
            ]
        else:
            assert libraries == [], function.name
            assert all(name.endswith(".py") for name in entries), (function.name, entries)


def elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF", "not an ELF file"
    return int.from_bytes(data[18:20], "little")


@pytest.fixture(scope="module")
def arm64(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The zips the role deploys (arm64, CPython 3.12), by function name."""
    folder = tmp_path_factory.mktemp("arm64")
    for function in FUNCTIONS:
        lambda_zip.package(
            folder / f"{function.name}.zip", function.handler, architecture="arm64", python_version="3.12"
        )
    return {function.name: folder / f"{function.name}.zip" for function in FUNCTIONS}


def test_arm64_zips_as_shipped_carry_aarch64_wheels(shipped: Shipped, arm64: dict[str, Path]) -> None:
    """The same modules as the build run above, every shared object an aarch64 ELF."""
    for function in FUNCTIONS:
        with zipfile.ZipFile(arm64[function.name]) as archive:
            names = archive.namelist()
            shared_objects = [name for name in names if re.search(r"\.so(\.|$)", name)]
            machines = {elf_machine(archive.read(name)) for name in shared_objects}
        modules = sorted(name for name in names if "/" not in name and name.endswith(".py"))
        ran = sorted(path.name for path in (shipped.folder / function.name).glob("*.py"))
        assert modules == ran, function.name
        if function.name == "session":
            assert machines == {ELF_MACHINE["aarch64"]}
            assert "_cffi_backend.cpython-312-aarch64-linux-gnu.so" in names
        else:
            assert shared_objects == [], function.name


def test_a_rebuild_gives_the_same_bytes(arm64: dict[str, Path], tmp_path: Path) -> None:
    """So a second run of site.yml deploys nothing: the largest zip, the session's, built
    again into a fresh output gives the same bytes."""
    session = next(function for function in FUNCTIONS if function.name == "session")
    again = lambda_zip.package(
        tmp_path / "again.zip", session.handler, architecture="arm64", python_version="3.12"
    )
    assert (tmp_path / "again.zip").read_bytes() == arm64["session"].read_bytes()
    assert again["modules"] == ["api_session", "cookie_signer", "lambda_common"]
    assert again["libraries"] == ["cryptography"]


def test_the_local_edge_runs_the_arm64_session_zip_with_the_venvs_cryptography(
    arm64: dict[str, Path], moto: MotoServer, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    """The local edge's worker (this venv's interpreter, `-I`) cannot load the aarch64
    wheels of the zip as shipped: it leaves them out (tools/local_edge/lambdas.py) and the
    function signs with the venv's cryptography of the same version. Deployed to moto and
    invoked through the edge's FunctionPool, as the local stack does."""
    session = next(function for function in FUNCTIONS if function.name == "session")
    code_dir = lambda_zip.unpack(arm64["session"], tmp_path / "code")
    assert lambdas.use_local_libraries(code_dir) == [("cffi", "2.1.1"), ("cryptography", "50.0.2")]

    role = moto.client("iam").create_role(RoleName="zip-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    variables = function_env(session, moto.url)
    environment = {name: variables[name] for name in (*session.environment, "PRIVATECAST_STACK")}
    environment["PRIVATECAST_AWS_ENDPOINT_URL"] = moto.url
    arn = moto.client("lambda").create_function(
        FunctionName=f"{STACK}-session",
        Runtime="python3.12",
        Role=role,
        Handler=session.handler,
        Code={"ZipFile": arm64["session"].read_bytes()},
        Architectures=["arm64"],
        Environment={"Variables": environment},
    )["FunctionArn"]
    credentials = {name: value for name, value in FAKE_CREDENTIALS.items() if name != "AWS_DEFAULT_REGION"}
    pool = lambdas.FunctionPool(
        moto.client("lambda"),
        STACK,
        arm64["session"].parent,
        tmp_path / "edge",
        lambdas.lambda_base_env(REGION, credentials),
    )
    (tmp_path / "edge").mkdir()
    try:
        check_session(pool.invoke(arn, EVENTS["session"]), signing_key)
    finally:
        pool.stop_all()
    (extracted,) = (tmp_path / "edge" / "functions" / f"{STACK}-session").iterdir()
    left = sorted(
        path.name for path in extracted.iterdir() if path.suffix != ".py" and path.name != "__pycache__"
    )
    assert left == ["pycparser", "pycparser-3.12.dist-info"]  # pure Python: the zip's own


@pytest.mark.parametrize("library", ["cryptography", "cffi"])
def test_the_venv_pins_the_lambdas_libraries(library: str) -> None:
    """The local edge and the in-process tests run the session function with the venv's
    cryptography and cffi: the same versions as the zip's."""
    pattern = re.compile(rf"^{library}==(\S+)", re.MULTILINE)
    pin = pattern.search((REPO_ROOT / "requirements-dev.txt").read_text())
    lambda_pin = pattern.search(lambda_zip.REQUIREMENTS.read_text())
    assert pin is not None and lambda_pin is not None
    assert pin.group(1) == lambda_pin.group(1)
