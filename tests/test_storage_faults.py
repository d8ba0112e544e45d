"""A full disk and a read-only database: writes fail with a clear status, reads go on, nothing is corrupted.

The full disk is real: the database lives on a small tmpfs mounted for the test
(root only, as CI runs), filled by writes until SQLite reports SQLITE_FULL, then
grown with a remount. The read-only database is a real read-only bind mount.
"""

from __future__ import annotations

import asyncio
import collections.abc
import os
import pathlib
import sqlite3
import subprocess
import sys

import grpc
import hikari
import payloads
import pytest

from hikari_kura.client import GrpcBackend, MemberQuery, ResourceExhaustedError
from hikari_kura.client.convert import members as members_
from hikari_kura.server import app as server_app
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

GUILD = 99 << 22
BULK = 200


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: pathlib.Path) -> collections.abc.Iterator[pathlib.Path]:
    """Mount a 2 MiB tmpfs for the test's database; unmount it afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    _mount("-t", "tmpfs", "-o", "size=2m,mode=0755", "kura-test-disk", str(mount_point))
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True, timeout=30)


def _integrity(database: pathlib.Path) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _members(app: hikari.GatewayBot, first: int) -> list[hikari.Member]:
    return [
        payloads.member(app, payloads.member_payload(user_id, nick="n" * 500), guild_id=GUILD)
        for user_id in range(first, first + BULK)
    ]


async def _member_ids(backend: GrpcBackend) -> set[int]:
    return {int(member.id) async for member in backend.iter_members(MemberQuery(guild_id=GUILD))}


async def test_a_full_disk_refuses_writes_keeps_reads_and_recovers_once_space_is_back(
    small_disk: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = small_disk / "kura.sqlite3"
    running = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await running.start()
    target = f"127.0.0.1:{running.port}"
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        stored: set[int] = set()
        refused: list[hikari.Member] | None = None
        for first in range(1, 100_000, BULK):
            bulk = _members(app, first)
            try:
                await (await backend.bulk_members(bulk, confirm=True))
            except ResourceExhaustedError as exc:
                error, refused = exc, bulk
                break
            stored |= {int(member.id) for member in bulk}
        assert refused is not None, "the 2 MiB disk never filled"
        assert "full" in error.message
        assert stored  # some bulks fit before the disk filled

        # The same write is refused again while the disk is full, over the stream and as a unary call.
        with pytest.raises(ResourceExhaustedError):
            await (await backend.bulk_members(refused, confirm=True))
        async with grpc.aio.insecure_channel(target) as channel:
            stub = cache_service_pb2_grpc.CacheServiceStub(channel)
            request = pb.UpsertMembersRequest(members=[members_.member_to_proto(member) for member in refused])
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.UpsertMembers(request)
            assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            stats = await stub.GetStats(pb.GetStatsRequest())
        assert stats.members == len(stored)

        assert await _member_ids(backend) == stored  # reads keep working, and see every committed write
        assert _integrity(database) == "ok"

        _mount("-o", "remount,size=64m", str(small_disk))
        await (await backend.bulk_members(refused, confirm=True))
        assert await _member_ids(backend) == stored | {int(member.id) for member in refused}
    finally:
        await backend.disconnect()
        await running.stop()
    assert _integrity(database) == "ok"


async def _create(database: pathlib.Path) -> None:
    created = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await created.start()
    await created.stop()


def test_kura_serve_on_a_read_only_database_exits_with_a_clear_error(tmp_path: pathlib.Path) -> None:
    writable, read_only = tmp_path / "writable", tmp_path / "read-only"
    writable.mkdir()
    read_only.mkdir()
    asyncio.run(_create(writable / "kura.sqlite3"))
    _mount("--bind", str(writable), str(read_only))
    try:
        _mount("-o", "remount,bind,ro", str(read_only))
        served = subprocess.run(
            [sys.executable, "-m", "hikari_kura.server", "serve", "--database", str(read_only / "kura.sqlite3")],
            env={**os.environ, "KURA_ADDRESS": "127.0.0.1:0"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        subprocess.run(["umount", str(read_only)], check=True, timeout=30)
    assert served.returncode == 1
    assert f"cannot start: database {read_only / 'kura.sqlite3'} cannot be opened for writing" in served.stderr
    assert "Traceback" not in served.stderr
