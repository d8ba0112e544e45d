"""Shared fixtures: a real Kura server on loopback over a SQLite file in tmp_path, and clients of it."""

from __future__ import annotations

import collections.abc
import pathlib

import grpc
import hikari
import payloads
import pytest

from hikari_kura.client import GrpcBackend
from hikari_kura.server import app as server_app
from hikari_kura.v1 import cache_service_pb2_grpc


@pytest.fixture
def database(tmp_path: pathlib.Path) -> pathlib.Path:
    """Return the path of a fresh SQLite database file."""
    return tmp_path / "kura.sqlite3"


@pytest.fixture
async def server(database: pathlib.Path) -> collections.abc.AsyncIterator[server_app.Server]:
    """Run a real server on 127.0.0.1 with an OS-chosen port; stop it after the test."""
    running = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


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
async def stub(target: str) -> collections.abc.AsyncIterator[cache_service_pb2_grpc.CacheServiceStub]:
    """Return a raw gRPC stub of the service, for calls the way grpcurl or another language makes them."""
    async with grpc.aio.insecure_channel(target) as channel:
        yield cache_service_pb2_grpc.CacheServiceStub(channel)
