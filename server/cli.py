"""The ``kura`` command: ``serve`` runs the server; ``health``, ``stats``, ``snapshot`` and ``restore`` talk to one.

Every ``serve`` flag has a ``KURA_*`` environment variable; a flag given on the
command line wins. A bad value exits with status 2 before anything starts; a
server that cannot start, or a command that fails, exits with status 1. Either
way standard error gets one line that says why, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import collections.abc
import json
import logging
import os
import pathlib
import sqlite3
import sys
import typing

# gRPC's C core writes lines of its own to standard error (a failed TLS handshake, at INFO level)
# and reads this once, when grpc is imported: at ERROR a failure stays the one line we print.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from hikari_kura.server import addresses, admin, app, auth, engine, logs, sqlite_engine, tls

_LOGGER = logging.getLogger(__name__)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"KURA_{name}", default)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _optional_positive_int(text: str) -> int | None:
    """Return None for an empty value (the variable's default), else a positive integer."""
    return _positive_int(text) if text else None


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _optional_file(text: str) -> pathlib.Path | None:
    """Return the path of an existing file, or None for an empty value (the variable's default)."""
    if not text:
        return None
    path = pathlib.Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"must be true or false, got {text}")


def _database(text: str) -> pathlib.Path | str:
    """Return a PostgreSQL URL as it is and anything else as a SQLite file path (not ``:memory:``, not a URI)."""
    if not text:
        raise argparse.ArgumentTypeError("must be a file path or a postgresql:// URL")
    if app.is_postgres_url(text):
        return text
    if text == ":memory:" or text.startswith("file::memory:"):
        raise argparse.ArgumentTypeError(
            "an in-memory SQLite database cannot be served: each of the server's connections (writer, readers, "
            "snapshots) would see a different, empty one; for a cache that need not outlive the server, give a "
            "file on a tmpfs, e.g. /dev/shm/kura.sqlite3"
        )
    if text.startswith("file:"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is a SQLite URI: give a file path (the server chooses how it opens the file; "
            "--read-only serves it without writing); for a file whose name starts with 'file:', write ./file:..."
        )
    return pathlib.Path(text)


def _checked(check: collections.abc.Callable[[str], str]) -> collections.abc.Callable[[str], str]:
    """Turn an address check into an argparse type, so its message (not "invalid value") reaches the user."""

    def parse(text: str) -> str:
        try:
            return check(text)
        except addresses.AddressError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _optional_address(text: str) -> str:
    """Return an empty value (none) as it is, and check anything else as a listening address."""
    return text and addresses.check_listen_address(text)


def _add_switch(parser: argparse.ArgumentParser, flag: str, help_text: str) -> None:
    """Add a flag that is off by default, on when given alone (or ``true``), and has a ``KURA_*`` variable."""
    variable = flag.removeprefix("--").upper().replace("-", "_")
    parser.add_argument(
        flag,
        type=_bool,
        nargs="?",
        const=True,
        default=_env(variable, "false"),
        help=f"{help_text} (env KURA_{variable}, default false)",
    )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors take one line and point at ``--help`` instead of printing the usage."""

    def error(self, message: str) -> typing.NoReturn:
        """Exit with status 2 and one line naming the problem."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    defaults = app.Config()
    parser = _Parser(prog="kura", description="Kura: a shared cache service for hikari bots.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the cache server", description="Run the Kura cache server.")
    serve.set_defaults(parser=serve)
    serve.add_argument(
        "--address",
        type=_checked(addresses.check_listen_address),
        default=_env("ADDRESS", defaults.address),
        help="host:port to listen on, the port always given (0: any free one, logged); [::1]:50051 for an IPv6 "
        "address, 0.0.0.0:50051 or [::]:50051 for every interface (env KURA_ADDRESS, default %(default)s)",
    )
    serve.add_argument(
        "--database",
        type=_database,
        default=_env("DATABASE", str(defaults.database)),
        help="SQLite database file, created if missing in an existing directory, served by one server at a time "
        "(not :memory:, not a file: URI), or a postgresql://user:password@host:port/dbname URL that several "
        "servers may share (env KURA_DATABASE, default %(default)s)",
    )
    _add_switch(
        serve,
        "--create-dirs",
        "create the missing directories of the SQLite --database path; without it such a path is refused",
    )
    _add_switch(
        serve,
        "--read-only",
        "serve an existing SQLite database without writing it: reads and snapshots work, writes are refused "
        "FAILED_PRECONDITION (a file or location that cannot be written is served so anyway); several read-only "
        "servers may share a file, never with one that writes it",
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
        "--scan-readers",
        type=_optional_positive_int,
        default=_env("SCAN_READERS", ""),
        help="most readers queries filtering on what no index serves may hold at once, at most --readers; "
        "below it, indexed reads always find a reader (env KURA_SCAN_READERS, default half of --readers)",
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
        help="most objects in one upsert or bulk write (env KURA_MAX_BULK_ITEMS, default %(default)s)",
    )
    serve.add_argument(
        "--max-bulk-bytes",
        type=_positive_int,
        default=_env("MAX_BULK_BYTES", str(defaults.max_bulk_bytes)),
        help="most bytes of objects in one upsert or bulk write (env KURA_MAX_BULK_BYTES, default %(default)s)",
    )
    serve.add_argument(
        "--shutdown-grace",
        type=float,
        default=_env("SHUTDOWN_GRACE", str(defaults.shutdown_grace_seconds)),
        help="seconds running calls get to finish on SIGTERM (env KURA_SHUTDOWN_GRACE, default %(default)s)",
    )
    serve.add_argument(
        "--metrics-address",
        type=_checked(_optional_address),
        default=_env("METRICS_ADDRESS", ""),
        help="host:port to serve Prometheus metrics on at /metrics, e.g. 127.0.0.1:9464; empty serves none "
        "(env KURA_METRICS_ADDRESS, default none)",
    )
    security = serve.add_argument_group(
        "security", "tokens, TLS and limits; see the README's Security section (tokens are never taken as flags)"
    )
    security.add_argument(
        "--tokens-file",
        type=_optional_file,
        default=_env("TOKENS_FILE", ""),
        help="file of bearer tokens, one 'read TOKEN', 'write TOKEN' or 'admin TOKEN' per line; KURA_TOKENS "
        "takes the same entries separated by commas. With none, every RPC is open (env KURA_TOKENS_FILE, default none)",
    )
    security.add_argument(
        "--tls-cert",
        type=_optional_file,
        default=_env("TLS_CERT", ""),
        help="PEM certificate chain of the server; with --tls-key serves TLS (env KURA_TLS_CERT, default none)",
    )
    security.add_argument(
        "--tls-key",
        type=_optional_file,
        default=_env("TLS_KEY", ""),
        help="PEM private key of the server's certificate (env KURA_TLS_KEY, default none)",
    )
    security.add_argument(
        "--tls-client-ca",
        type=_optional_file,
        default=_env("TLS_CLIENT_CA", ""),
        help="PEM CA certificates; when given every client must present a certificate they signed (mTLS) "
        "(env KURA_TLS_CLIENT_CA, default none)",
    )
    security.add_argument(
        "--max-concurrent-streams",
        type=_positive_int,
        default=_env("MAX_CONCURRENT_STREAMS", str(defaults.max_concurrent_streams)),
        help="most calls in flight on one connection; more wait for one to end "
        "(env KURA_MAX_CONCURRENT_STREAMS, default %(default)s)",
    )
    security.add_argument(
        "--max-sessions-per-peer",
        type=_positive_int,
        default=_env("MAX_SESSIONS_PER_PEER", str(defaults.max_sessions_per_peer)),
        help="most write sessions one client host holds open; more are refused with RESOURCE_EXHAUSTED "
        "(env KURA_MAX_SESSIONS_PER_PEER, default %(default)s)",
    )
    security.add_argument(
        "--keepalive-time",
        type=_positive_float,
        default=_env("KEEPALIVE_TIME", str(defaults.keepalive_time_seconds)),
        help="seconds a connection may idle before the server pings it (env KURA_KEEPALIVE_TIME, default %(default)s)",
    )
    security.add_argument(
        "--keepalive-timeout",
        type=_positive_float,
        default=_env("KEEPALIVE_TIMEOUT", str(defaults.keepalive_timeout_seconds)),
        help="seconds a ping may go unanswered before the connection and its sessions end "
        "(env KURA_KEEPALIVE_TIMEOUT, default %(default)s)",
    )
    security.add_argument(
        "--min-ping-interval",
        type=_positive_float,
        default=_env("MIN_PING_INTERVAL", str(defaults.min_ping_interval_seconds)),
        help="fewest seconds between a client's pings; a client pinging more often is disconnected "
        "(env KURA_MIN_PING_INTERVAL, default %(default)s)",
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
        command.set_defaults(parser=command)
        command.add_argument(
            "--target",
            type=_checked(addresses.check_target),
            default=_env("TARGET", "127.0.0.1:50051"),
            help="server address, host:port (env KURA_TARGET, default %(default)s)",
        )
        command.add_argument(
            "--token",
            default=_env("TOKEN", ""),
            help="bearer token to send; visible to other users in the process list, so prefer KURA_TOKEN "
            "or --token-file (env KURA_TOKEN)",
        )
        command.add_argument(
            "--token-file",
            type=_optional_file,
            default=_env("TOKEN_FILE", ""),
            help="file holding the token, e.g. a mounted secret (env KURA_TOKEN_FILE)",
        )
        _add_switch(command, "--tls", "use TLS, verifying the server with the system's CAs (implied by --tls-ca)")
        command.add_argument(
            "--tls-ca",
            type=_optional_file,
            default=_env("TLS_CA", ""),
            help="PEM CA certificates that verify the server; without it the system's (env KURA_TLS_CA)",
        )
        command.add_argument(
            "--tls-client-cert",
            type=_optional_file,
            default=_env("TLS_CLIENT_CERT", ""),
            help="PEM client certificate for a server that requires one (env KURA_TLS_CLIENT_CERT)",
        )
        command.add_argument(
            "--tls-client-key",
            type=_optional_file,
            default=_env("TLS_CLIENT_KEY", ""),
            help="PEM private key of the client certificate (env KURA_TLS_CLIENT_KEY)",
        )
        command.add_argument(
            "--tls-server-name",
            default=_env("TLS_SERVER_NAME", ""),
            help="name the server's certificate holds, when it is not the target's host (env KURA_TLS_SERVER_NAME)",
        )
        return command

    check = client_command("health", "exit 0 if a server reports SERVING")
    check.add_argument("--timeout", type=_positive_float, default=3.0, help="seconds to wait for an answer")
    report = client_command("stats", "print a server's stats as JSON")
    report.add_argument("--timeout", type=_positive_float, default=10.0, help="seconds to wait for an answer")
    take = client_command("snapshot", "save a consistent copy of the whole cache to a file")
    take.add_argument("file", type=pathlib.Path, help="where to write the snapshot (replaced when complete)")
    give = client_command("restore", "replace the whole cache with a snapshot file, atomically")
    give.add_argument("file", type=pathlib.Path, help="the snapshot to restore")
    return parser


def _token(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """Return the token a client command sends, from ``--token`` or ``--token-file``; None for none."""
    token, source = args.token, "--token"
    if args.token_file is not None:
        source = f"--token-file {args.token_file}"
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            parser.error(f"{source}: cannot read it: {exc.strerror}")
        except UnicodeDecodeError:
            parser.error(f"{source}: not a text file")
    # gRPC takes only visible ASCII in metadata, and fails with a traceback on anything else.
    if token and not (token.isascii() and token.isprintable() and len(token.split()) == 1):
        parser.error(f"{source}: a token is one word of visible ASCII characters (no spaces or line breaks)")
    return token or None


def _connection(parser: argparse.ArgumentParser, args: argparse.Namespace) -> admin.Connection:
    """Return how a client command reaches its server, from its flags."""
    if (args.tls_client_cert is None) != (args.tls_client_key is None):
        parser.error("--tls-client-cert and --tls-client-key go together")
    token = _token(parser, args)
    return admin.Connection(
        args.target,
        token=token,
        tls=args.tls or args.tls_ca is not None or args.tls_client_cert is not None,
        ca=args.tls_ca,
        client_cert=args.tls_client_cert,
        client_key=args.tls_client_key,
        server_name=args.tls_server_name or None,
    )


def _server_security(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, typing.Any]:
    """Return the tokens and TLS settings of ``serve``; a bad combination or token list exits with status 2."""
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls_client_ca is not None and args.tls_cert is None:
        parser.error("--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked over TLS")
    try:
        tokens = auth.load_tokens(args.tokens_file, _env("TOKENS", ""))
    except auth.TokenError as exc:
        parser.error(str(exc))
    server_tls = None if args.tls_cert is None else tls.ServerTLS(args.tls_cert, args.tls_key, args.tls_client_ca)
    return {"tokens": tuple(tokens), "tls": server_tls}


def _client_command(args: argparse.Namespace, connection: admin.Connection) -> int:
    """Run one of the commands that talk to a running server; print what it says."""
    try:
        if args.command == "health":
            status = admin.run(admin.health(connection, args.timeout))
            sys.stdout.write(f"{args.target}: {status}\n")
            return 0 if status == "SERVING" else 1
        if args.command == "stats":
            sys.stdout.write(json.dumps(admin.run(admin.stats(connection, args.timeout)), indent=2) + "\n")
        elif args.command == "snapshot":
            size = admin.run(admin.snapshot(connection, args.file))
            sys.stdout.write(f"snapshot of {args.target} written to {args.file} ({size:,} bytes)\n")
        elif args.command == "restore":
            restored = admin.run(admin.restore(connection, args.file))
            sys.stdout.write(
                f"restored {args.file} into {args.target}: {restored.guilds} guilds, {restored.channels} channels, "
                f"{restored.members} members, {restored.roles} roles\n"
            )
    except admin.CommandError as exc:
        sys.stderr.write(f"kura {args.command}: {' '.join(str(exc).split())}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"kura {args.command}: interrupted\n")  # a snapshot leaves no partial file behind
        return 130
    return 0


def main(argv: typing.Sequence[str] | None = None) -> int:
    """Run the ``kura`` command line."""
    parser = _parser()
    # argparse runs string defaults (the KURA_* values) through each option's type too,
    # so a bad environment value exits with status 2 just like a bad flag.
    args = parser.parse_args(argv)
    if args.command != "serve":
        return _client_command(args, _connection(args.parser, args))
    security = _server_security(args.parser, args)
    logs.configure(args.log_level, args.log_format)
    config = app.Config(
        address=args.address,
        database=args.database,
        read_only=args.read_only,
        create_dirs=args.create_dirs,
        reflection=args.reflection,
        readers=args.readers,
        scan_readers=args.scan_readers,
        synchronous=args.synchronous,
        max_message_bytes=args.max_message_bytes,
        max_bulk_items=args.max_bulk_items,
        max_bulk_bytes=args.max_bulk_bytes,
        shutdown_grace_seconds=args.shutdown_grace,
        metrics_address=args.metrics_address or None,
        session_ttl_seconds=args.session_ttl,
        max_concurrent_streams=args.max_concurrent_streams,
        max_sessions_per_peer=args.max_sessions_per_peer,
        keepalive_time_seconds=args.keepalive_time,
        keepalive_timeout_seconds=args.keepalive_timeout,
        min_ping_interval_seconds=args.min_ping_interval,
        **security,
    )
    try:
        asyncio.run(app.Server(config).serve())
    except (OSError, engine.OpenError) as exc:
        _LOGGER.error("cannot start: %s", exc)
        return 1
    except sqlite3.Error as exc:
        # Not a database file, a full disk, a lock SQLite could not take: the operator's to fix.
        _LOGGER.error("cannot start: database %s cannot be opened: %s", config.database, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
