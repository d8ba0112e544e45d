"""A snapshot taken from one engine restores into the other: moving SQLite -> PostgreSQL (and back)
is ``kura snapshot`` on the old server, then ``kura restore`` on the new one, as the README says."""

from __future__ import annotations

import asyncio
import pathlib
import sys

import cachestate
import grpc
import hikari
import payloads

from hikari_kura.client import GrpcBackend
from hikari_kura.server import app as server_app
from hikari_kura.v1 import cache_service_pb2_grpc


async def _kura(*args: str) -> str:
    """Run a ``kura`` command to its end and return what it printed; fail the test if it failed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hikari_kura.server",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _served(server: server_app.Server) -> dict[str, list[bytes]]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        return await cachestate.served(cache_service_pb2_grpc.CacheServiceStub(channel))


async def _move(
    source: pathlib.Path | str, destination: pathlib.Path | str, app: hikari.GatewayBot, file: pathlib.Path
) -> None:
    """Seed a server on ``source``, snapshot it with the CLI, restore that into ``destination`` with the CLI."""
    old = server_app.Server(server_app.Config(address="127.0.0.1:0", database=source))
    new = server_app.Server(server_app.Config(address="127.0.0.1:0", database=destination))
    await old.start()
    await new.start()
    try:
        seeded = await cachestate.seed(f"127.0.0.1:{old.port}", app)
        client = GrpcBackend(f"127.0.0.1:{old.port}", app=app)
        await client.connect()
        try:  # text PostgreSQL's TEXT could not hold must cross both ways as it is
            await (await client.role_create(payloads.role(app, payloads.role_payload(81, name="a\x00b")), confirm=True))
        finally:
            await client.disconnect()
        before = await _served(old)
        assert len(before["members"]) == len(seeded.members) > 0

        await _kura("snapshot", "--target", f"127.0.0.1:{old.port}", str(file))
        said = await _kura("restore", "--target", f"127.0.0.1:{new.port}", str(file))

        assert f"{len(seeded.members)} members" in said
        assert await _served(new) == before
    finally:
        await old.stop()
        await new.stop()


async def test_a_sqlite_snapshot_restores_into_postgresql(
    tmp_path: pathlib.Path, postgres_url: str, app: hikari.GatewayBot
) -> None:
    await _move(tmp_path / "old.sqlite3", postgres_url, app, tmp_path / "cache.kura")


async def test_a_postgresql_snapshot_restores_into_sqlite(
    tmp_path: pathlib.Path, postgres_url: str, app: hikari.GatewayBot
) -> None:
    await _move(postgres_url, tmp_path / "new.sqlite3", app, tmp_path / "cache.kura")
