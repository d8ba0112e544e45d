"""The ``kura`` command: ``kura serve`` runs the server, ``kura health`` asks one whether it serves.

Every ``serve`` flag has a ``KURA_*`` environment variable; a flag given on the
command line wins. A bad value exits with status 2 before anything starts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pathlib
import sys
import typing

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hikari_kura.server import app, store

_LOGGER = logging.getLogger(__name__)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"KURA_{name}", default)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"must be true or false, got {text}")


def _parser() -> argparse.ArgumentParser:
    defaults = app.Config()
    parser = argparse.ArgumentParser(prog="kura", description="Kura: a shared cache service for hikari bots.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the cache server", description="Run the Kura cache server.")
    serve.add_argument(
        "--address",
        default=_env("ADDRESS", defaults.address),
        help="host:port to listen on; 0.0.0.0:50051 or [::]:50051 for every interface "
        "(env KURA_ADDRESS, default %(default)s)",
    )
    serve.add_argument(
        "--database",
        type=pathlib.Path,
        default=pathlib.Path(_env("DATABASE", str(defaults.database))),
        help="SQLite database file, created if missing (env KURA_DATABASE, default %(default)s)",
    )
    serve.add_argument(
        "--reflection",
        type=_bool,
        default=_env("REFLECTION", "true"),
        help="serve gRPC reflection so grpcurl can list and describe (env KURA_REFLECTION, default true)",
    )
    serve.add_argument(
        "--readers",
        type=_positive_int,
        default=_env("READERS", str(defaults.readers)),
        help="read connections serving queries in parallel (env KURA_READERS, default %(default)s)",
    )
    serve.add_argument(
        "--synchronous",
        choices=store.SYNCHRONOUS_MODES,
        type=str.upper,
        default=_env("SYNCHRONOUS", defaults.synchronous),
        help="SQLite synchronous mode: FULL makes every confirmed write survive power loss, NORMAL only "
        "a process crash (env KURA_SYNCHRONOUS, default %(default)s)",
    )
    serve.add_argument(
        "--max-message-bytes",
        type=_positive_int,
        default=_env("MAX_MESSAGE_BYTES", str(defaults.max_message_bytes)),
        help="largest gRPC message accepted or sent (env KURA_MAX_MESSAGE_BYTES, default %(default)s)",
    )
    serve.add_argument(
        "--max-bulk-items",
        type=_positive_int,
        default=_env("MAX_BULK_ITEMS", str(defaults.max_bulk_items)),
        help="most objects in one bulk write (env KURA_MAX_BULK_ITEMS, default %(default)s)",
    )
    serve.add_argument(
        "--shutdown-grace",
        type=float,
        default=_env("SHUTDOWN_GRACE", str(defaults.shutdown_grace_seconds)),
        help="seconds running calls get to finish on SIGTERM (env KURA_SHUTDOWN_GRACE, default %(default)s)",
    )
    serve.add_argument(
        "--log-level",
        default=_env("LOG_LEVEL", "INFO"),
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log level (env KURA_LOG_LEVEL, default %(default)s)",
    )

    check = commands.add_parser(
        "health", help="exit 0 if a server reports SERVING", description="Ask a server's gRPC health service."
    )
    check.add_argument("--target", default=_env("TARGET", "127.0.0.1:50051"), help="server address (env KURA_TARGET)")
    check.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for an answer")
    return parser


async def _health(target: str, deadline: float) -> bool:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=deadline)
        except grpc.aio.AioRpcError as exc:
            sys.stderr.write(f"{target}: {exc.code().name}: {exc.details()}\n")
            return False
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    sys.stdout.write(f"{target}: {status}\n")
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def main(argv: typing.Sequence[str] | None = None) -> int:
    """Run the ``kura`` command line."""
    parser = _parser()
    # argparse runs string defaults (the KURA_* values) through each option's type too,
    # so a bad environment value exits with status 2 just like a bad flag.
    args = parser.parse_args(argv)
    if args.command == "health":
        return 0 if asyncio.run(_health(args.target, args.timeout)) else 1
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = app.Config(
        address=args.address,
        database=args.database,
        reflection=args.reflection,
        readers=args.readers,
        synchronous=args.synchronous,
        max_message_bytes=args.max_message_bytes,
        max_bulk_items=args.max_bulk_items,
        shutdown_grace_seconds=args.shutdown_grace,
    )
    try:
        asyncio.run(app.Server(config).serve())
    except OSError as exc:
        _LOGGER.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
