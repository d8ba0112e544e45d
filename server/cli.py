"""The ``kura`` command: ``serve`` runs the server; ``health``, ``stats``, ``snapshot`` and ``restore`` talk to one.

Every ``serve`` flag has a ``KURA_*`` environment variable; a flag given on the
command line wins. A bad value exits with status 2 before anything starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import pathlib
import sqlite3
import sys
import typing

from hikari_kura.server import admin, app, logs, sqlite_engine

_LOGGER = logging.getLogger(__name__)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"KURA_{name}", default)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"must be true or false, got {text}")


def _database(text: str) -> pathlib.Path | str:
    """Return a PostgreSQL URL as it is and anything else as a SQLite file path."""
    if not text:
        raise argparse.ArgumentTypeError("must be a file path or a postgresql:// URL")
    return text if app.is_postgres_url(text) else pathlib.Path(text)


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
        type=_database,
        default=_env("DATABASE", str(defaults.database)),
        help="SQLite database file, created if missing, or a postgresql://user:password@host:port/dbname URL "
        "that several servers may share (env KURA_DATABASE, default %(default)s)",
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
        choices=sqlite_engine.SYNCHRONOUS_MODES,
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
        "--metrics-address",
        default=_env("METRICS_ADDRESS", ""),
        help="host:port to serve Prometheus metrics on at /metrics, e.g. 127.0.0.1:9464; empty serves none "
        "(env KURA_METRICS_ADDRESS, default none)",
    )
    serve.add_argument(
        "--session-ttl",
        type=_positive_float,
        default=_env("SESSION_TTL", str(defaults.session_ttl_seconds)),
        help="PostgreSQL only: seconds a session stays live for prune on every replica without its server's "
        "heartbeat, so a crashed replica's sessions expire (env KURA_SESSION_TTL, default %(default)s)",
    )
    serve.add_argument(
        "--log-level",
        default=_env("LOG_LEVEL", "INFO"),
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log level (env KURA_LOG_LEVEL, default %(default)s)",
    )
    serve.add_argument(
        "--log-format",
        default=_env("LOG_FORMAT", "text"),
        type=str.lower,
        choices=("text", "json"),
        help="text lines for people or JSON lines for log collectors (env KURA_LOG_FORMAT, default %(default)s)",
    )

    def client_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        command.add_argument(
            "--target", default=_env("TARGET", "127.0.0.1:50051"), help="server address (env KURA_TARGET)"
        )
        return command

    check = client_command("health", "exit 0 if a server reports SERVING")
    check.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for an answer")
    report = client_command("stats", "print a server's stats as JSON")
    report.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer")
    take = client_command("snapshot", "save a consistent copy of the whole cache to a file")
    take.add_argument("file", type=pathlib.Path, help="where to write the snapshot (replaced when complete)")
    give = client_command("restore", "replace the whole cache with a snapshot file, atomically")
    give.add_argument("file", type=pathlib.Path, help="the snapshot to restore")
    return parser


def _client_command(args: argparse.Namespace) -> int:
    """Run one of the commands that talk to a running server; print what it says."""
    try:
        if args.command == "health":
            status = admin.run(admin.health(args.target, args.timeout))
            sys.stdout.write(f"{args.target}: {status}\n")
            return 0 if status == "SERVING" else 1
        if args.command == "stats":
            sys.stdout.write(json.dumps(admin.run(admin.stats(args.target, args.timeout)), indent=2) + "\n")
        elif args.command == "snapshot":
            size = admin.run(admin.snapshot(args.target, args.file))
            sys.stdout.write(f"snapshot of {args.target} written to {args.file} ({size:,} bytes)\n")
        elif args.command == "restore":
            restored = admin.run(admin.restore(args.target, args.file))
            sys.stdout.write(
                f"restored {args.file} into {args.target}: {restored.guilds} guilds, {restored.channels} channels, "
                f"{restored.members} members, {restored.roles} roles\n"
            )
    except admin.CommandError as exc:
        sys.stderr.write(f"kura {args.command}: {exc}\n")
        return 1
    return 0


def main(argv: typing.Sequence[str] | None = None) -> int:
    """Run the ``kura`` command line."""
    parser = _parser()
    # argparse runs string defaults (the KURA_* values) through each option's type too,
    # so a bad environment value exits with status 2 just like a bad flag.
    args = parser.parse_args(argv)
    if args.command != "serve":
        return _client_command(args)
    logs.configure(args.log_level, args.log_format)
    config = app.Config(
        address=args.address,
        database=args.database,
        reflection=args.reflection,
        readers=args.readers,
        synchronous=args.synchronous,
        max_message_bytes=args.max_message_bytes,
        max_bulk_items=args.max_bulk_items,
        shutdown_grace_seconds=args.shutdown_grace,
        metrics_address=args.metrics_address or None,
        session_ttl_seconds=args.session_ttl,
    )
    try:
        asyncio.run(app.Server(config).serve())
    except OSError as exc:
        _LOGGER.error("cannot start: %s", exc)
        return 1
    except sqlite3.Error as exc:
        # A read-only file system, a file without write permission, a full disk: the operator's to fix.
        _LOGGER.error("cannot start: database %s cannot be opened for writing: %s", config.database, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
