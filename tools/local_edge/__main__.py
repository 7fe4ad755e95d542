"""Command line of the local edge (a development tool; see tools/local_edge/__init__.py).

    python -m tools.local_edge serve --endpoint http://127.0.0.1:5055 --stack local \\
        --state local-stack [--host 127.0.0.1] [--port 8480] [--events-port 8482]
    python -m tools.local_edge demo-users --endpoint http://127.0.0.1:5055 --stack local \\
        --state local-stack
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.local_edge import server, tls
from tools.local_edge.demo_users import ensure_passwords
from tools.local_edge.deployment import Deployment
from tools.local_edge.edge import Edge
from tools.local_edge.lambdas import FunctionPool, lambda_base_env
from tools.local_edge.schedule import Scheduler

BANNER = """\
==============================================================================
 privatecast LOCAL EDGE - a development stand-in for CloudFront and API Gateway
 It serves the distribution deployed to the moto server at {endpoint}
 (stack {stack}) with the rules of the real services, read from moto on every
 request. It is not CloudFront: never expose it beyond this machine.
   viewer page (HTTPS, self-signed):  https://{host}:{port}/
   S3 event deliveries (internal):    http://127.0.0.1:{events_port}/lambda-events
   function logs:                     {logs}
==============================================================================
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_edge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "demo-users"):
        command = commands.add_parser(name)
        command.add_argument("--endpoint", default="http://127.0.0.1:5055", help="the moto server")
        command.add_argument("--stack", default="local", help="privatecast_stack_name")
        command.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        command.add_argument(
            "--state", type=Path, default=Path(os.environ.get("PRIVATECAST_LOCAL_STATE", "local-stack"))
        )
    serve = commands.choices["serve"]
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8480)
    serve.add_argument(
        "--events-port", type=int, default=8482, help="S3 event deliveries from moto (0: none)"
    )
    serve.add_argument("--lambda-dir", type=Path, help="the function zips (default <state>/lambda)")
    return parser


def serve(args: argparse.Namespace) -> int:
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        print("the local edge listens on loopback only", file=sys.stderr)
        return 2
    state = args.state.resolve() / "edge"
    state.mkdir(parents=True, exist_ok=True)
    deployment = Deployment(args.endpoint, args.region, args.stack)
    credentials = {
        name: os.environ[name]
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        if os.environ.get(name)
    }
    functions = FunctionPool(
        deployment.client("lambda"),
        args.stack,
        (args.lambda_dir or args.state / "lambda").resolve(),
        state,
        lambda_base_env(args.region, credentials),
    )
    executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="invoke")
    edge = Edge(deployment, functions, executor)
    cert, key = tls.ensure_certificate(state / "tls")
    servers = [server.make_server(args.host, args.port, edge.handle, tls.server_context(cert, key))]
    if args.events_port:
        servers.append(
            server.make_server("127.0.0.1", args.events_port, server.lambda_events_app(edge.invoke_async))
        )
    account = deployment.client("sts").get_caller_identity()["Account"]
    scheduler = Scheduler(
        deployment, f"arn:aws:lambda:{args.region}:{account}:function:{args.stack}-", edge.invoke_async
    )
    threading.Thread(target=scheduler.run, name="schedule", daemon=True).start()
    for index, listener in enumerate(servers):
        server.start_in_thread(listener, f"listener-{index}")
    print(
        BANNER.format(
            endpoint=args.endpoint,
            stack=args.stack,
            host=args.host,
            port=args.port,
            events_port=args.events_port,
            logs=state / "logs",
        ),
        flush=True,
    )
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    scheduler.stop()
    for listener in servers:
        listener.shutdown()
    functions.stop_all()
    executor.shutdown(wait=False, cancel_futures=True)
    print("local edge stopped", flush=True)
    return 0


def demo_users(args: argparse.Namespace) -> int:
    for user in ensure_passwords(args.endpoint, args.region, args.stack, args.state / "auth"):
        print(f"    {user.email:<24} {','.join(user.groups) or '-':<10} password: {user.password}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    return serve(args) if args.command == "serve" else demo_users(args)


if __name__ == "__main__":
    sys.exit(main())
