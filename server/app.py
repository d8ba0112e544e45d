"""Assemble and run the Kura server: storage, writer, sessions, the CacheService, health and reflection."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import pathlib
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from hikari_kura.server import (
    addresses,
    auth,
    engine,
    limits,
    metrics,
    postgres_engine,
    service,
    sessions,
    sqlite_engine,
    writer,
)
from hikari_kura.server import reflection as reflection_service
from hikari_kura.server import tls as tls_

_LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    """Everything an operator tunes; ``kura serve`` fills it from flags and ``KURA_*`` variables."""

    address: str = "127.0.0.1:50051"
    database: pathlib.Path | str = pathlib.Path("kura.sqlite3")
    """A SQLite file, or a ``postgresql://`` URL of a database several servers may share."""
    read_only: bool = False
    """Serve a SQLite database without writing it (reads and snapshots only); a read-only file is served so anyway."""
    create_dirs: bool = False
    """Create the missing directories of a SQLite database's path; without it such a path is refused."""
    reflection: bool = True
    readers: int = 4
    scan_readers: int | None = None
    """Most readers unindexed scans hold at once (``engine.scan_share``); None: half the readers, at least one."""
    synchronous: str = "FULL"
    max_message_bytes: int = 64 * 1024 * 1024
    max_bulk_items: int = limits.DEFAULT_MAX_BULK_ITEMS
    """Most objects in one upsert: a unary call, one op of the Write stream, or every chunk of a bulk."""
    max_bulk_bytes: int = limits.DEFAULT_MAX_BULK_BYTES
    """Most encoded bytes of objects in one upsert, counted as ``max_bulk_items``."""
    shutdown_grace_seconds: float = 10.0
    metrics_address: str | None = None
    """``host:port`` to serve Prometheus metrics on; None serves none."""
    session_ttl_seconds: float = 30.0
    """PostgreSQL: how long a session stays live without its server's heartbeat (a crashed replica's expire)."""
    tokens: tuple[tuple[auth.Role, str], ...] = dataclasses.field(default=(), repr=False)
    """Bearer tokens and their roles; none leaves every RPC open (the local default)."""
    tls: tls_.ServerTLS | None = None
    """Certificate, key and optional client CA; None serves plaintext."""
    max_concurrent_streams: int = 100
    """Most calls in flight on one connection; further calls wait for one to end."""
    max_sessions_per_peer: int = limits.DEFAULT_SESSIONS_PER_PEER
    """Most write sessions one client host holds open at once."""
    keepalive_time_seconds: float = 30.0
    """Idle time after which the server pings a connection to see that its peer is alive."""
    keepalive_timeout_seconds: float = 10.0
    """How long a ping may go unanswered before the connection, and its calls, end."""
    min_ping_interval_seconds: float = 10.0
    """The most often a client may ping; a client pinging more often is disconnected."""

    def grpc_options(self) -> list[tuple[str, int]]:
        """Return the gRPC server options that carry the message, stream and keepalive limits."""
        return [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_concurrent_streams", self.max_concurrent_streams),
            ("grpc.keepalive_time_ms", round(self.keepalive_time_seconds * 1000)),
            ("grpc.keepalive_timeout_ms", round(self.keepalive_timeout_seconds * 1000)),
            # gRPC 1.85 times a keepalive ping out after this, not keepalive_timeout_ms (default 60 s).
            ("grpc.http2.ping_timeout_ms", round(self.keepalive_timeout_seconds * 1000)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", round(self.min_ping_interval_seconds * 1000)),
            ("grpc.so_reuseport", 0),
        ]


def is_postgres_url(database: pathlib.Path | str) -> bool:
    """Tell a PostgreSQL URL from a SQLite file path."""
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


async def open_engine(config: Config) -> engine.Engine:
    """Open the engine ``config.database`` names: PostgreSQL for a URL, SQLite for a file path."""
    if is_postgres_url(config.database):
        if config.read_only:
            raise engine.OpenError("--read-only serves SQLite files only, not a PostgreSQL database")
        return await postgres_engine.PostgresEngine.open(
            str(config.database),
            readers=config.readers,
            scan_readers=config.scan_readers,
            session_ttl=config.session_ttl_seconds,
        )
    return await sqlite_engine.SqliteEngine.open(
        pathlib.Path(config.database),
        readers=config.readers,
        scan_readers=config.scan_readers,
        synchronous=config.synchronous,
        read_only=config.read_only,
        create_dirs=config.create_dirs,
    )


def is_loopback(address: str) -> bool:
    """Return whether ``host:port`` listens on loopback only (a Unix socket counts as local)."""
    if address.startswith(addresses.LOCAL_SOCKETS):
        return True
    host = addresses.split(address)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_exposed(config: Config) -> None:
    """Log what an operator should know when the server listens beyond loopback without protection."""
    if is_loopback(config.address):
        return
    if not config.tokens:
        _LOGGER.warning(
            "listening on %s without authentication: anyone who reaches it can read and change the cache "
            "(set KURA_TOKENS_FILE, see the README's Security section)",
            config.address,
        )
    if config.tls is None:
        _LOGGER.warning(
            "listening on %s without TLS: data%s travel in plaintext (set --tls-cert and --tls-key)",
            config.address,
            " and tokens" if config.tokens else "",
        )


class Server:
    """A running Kura server; ``start`` then ``stop`` (or ``serve`` until a signal)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.port: int | None = None
        self._grpc: grpc.aio.Server | None = None
        self._engine: engine.Engine | None = None
        self._sessions: sessions.Sessions | None = None
        self._writer: writer.Writer | None = None
        self._cache: service.CacheService | None = None
        self._health = health.aio.HealthServicer()
        self.metrics = metrics.Metrics()
        self.metrics_port: int | None = None

    async def start(self) -> None:
        """Open the database, start the writer and begin serving; ``port`` is then the bound port.

        What can be checked without the database is checked first (the addresses are free, the TLS
        files hold a certificate and its key), so a server that cannot start creates nothing.
        """
        addresses.check_can_listen(self.config.address)
        if self.config.metrics_address:
            addresses.check_can_listen(self.config.metrics_address)
        credentials = None if self.config.tls is None else self.config.tls.credentials()
        try:
            await self._start(credentials)
        except BaseException:
            await self.stop()  # close what did open: its threads would keep the process alive
            raise

    async def _start(self, credentials: grpc.ServerCredentials | None) -> None:
        config = self.config
        self._engine = db = await open_engine(config)
        await db.close_stale_sessions()
        self.metrics.count_stored(db.scrape_counter())
        self._writer = writer.Writer(db, on_commit=self.metrics.observe_commit)
        self._writer.start()
        self._sessions = open_sessions = sessions.Sessions(self._writer, db)
        open_sessions.start()
        self.metrics.write_queue_depth.set_function(lambda: self._writer.queue_depth if self._writer else 0)
        self.metrics.open_sessions.set_function(lambda: len(open_sessions))
        tokens = auth.TokenInterceptor(config.tokens, on_refused=self.metrics.refused) if config.tokens else None
        cache = service.CacheService(
            db,
            self._writer,
            open_sessions,
            write_limits=limits.WriteLimits(
                config.max_bulk_items, config.max_bulk_bytes, session_window_bytes=config.max_message_bytes
            ),
            max_message_bytes=config.max_message_bytes,
            session_limit=limits.SessionLimit(config.max_sessions_per_peer),
            on_refused=self.metrics.refused,
            role_of=None if tokens is None else tokens.role_of,
        )
        self._cache = cache
        server = grpc.aio.server(interceptors=[] if tokens is None else [tokens], options=config.grpc_options())
        server.add_generic_rpc_handlers((service.handler(cache, self.metrics),))
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        if config.reflection:
            reflection_service.enable(server)
        try:
            if credentials is None:
                self.port = server.add_insecure_port(config.address)
            else:
                self.port = server.add_secure_port(config.address, credentials)
        except RuntimeError:  # taken since check_can_listen, or a Unix socket gRPC cannot bind
            raise OSError(f"cannot listen on {config.address}: gRPC could not bind it") from None
        await server.start()
        self._grpc = server
        if config.metrics_address:
            self.metrics_port = self.metrics.serve(config.metrics_address)
        await self._set_health(health_pb2.HealthCheckResponse.SERVING)
        _LOGGER.info(
            "serving address=%s port=%d engine=%s read_only=%s tls=%s mtls=%s tokens=%d",
            config.address,
            self.port,
            db.name,
            db.read_only_reason is not None,
            config.tls is not None,
            config.tls is not None and config.tls.client_ca is not None,
            len(config.tokens),
        )
        warn_if_exposed(config)

    async def _set_health(self, status: int) -> None:
        for name in ("", service.SERVICE_NAME):
            await self._health.set(name, status)

    async def stop(self) -> None:
        """Stop taking calls, let running ones finish, commit every queued write, checkpoint, close."""
        grace = self.config.shutdown_grace_seconds
        started = self._engine is not None
        if self._grpc is not None:
            await self._health.enter_graceful_shutdown()
            _LOGGER.info("shutting down grace_seconds=%.1f", grace)
            if self._cache is not None:
                self._cache.drain()
            await self._grpc.stop(grace)
            self._grpc = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._sessions is not None:
            await self._sessions.stop()
            self._sessions = None
        if self._engine is not None:
            await self._engine.close()
            self._engine = None
        self.metrics.close()
        if started:
            _LOGGER.info("stopped")

    async def serve(self) -> None:
        """Run until SIGTERM or SIGINT, then shut down gracefully."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
