"""A full disk and a read-only database: writes fail with a clear status, reads go on, nothing is corrupted.

The full disk is real: the database lives on a small tmpfs mounted for the test
(root only, as CI runs), filled by writes until SQLITE_FULL, then grown with a
remount. The read-only database is a real read-only bind mount of a database a
server wrote and stopped: ``kura serve`` serves it read-only (root ignores file
permissions, so a chmod would not make it read-only here).
"""

from __future__ import annotations

import asyncio
import collections.abc
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import urllib.request

import grpc
import hikari
import payloads
import pytest
import serverproc

from hikari_kura.client import FailedPreconditionError, GrpcBackend, MemberQuery, ResourceExhaustedError
from hikari_kura.client.convert import members as members_
from hikari_kura.server import app as server_app
from hikari_kura.server import schema
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


async def _point_get(backend: GrpcBackend, user_id: int) -> list[int]:
    """Return the ids a get of one member by guild + id yields (the server's point-get path)."""
    return [int(member.id) async for member in backend.iter_members(MemberQuery(guild_id=GUILD, id=user_id))]


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


async def _create(database: pathlib.Path, app: hikari.GatewayBot) -> set[int]:
    """Store a bulk of members with a server that then stops cleanly; return their ids."""
    created = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await created.start()
    backend = GrpcBackend(f"127.0.0.1:{created.port}", app=app)
    await backend.connect()
    try:
        await (await backend.bulk_members(_members(app, 1), confirm=True))
    finally:
        await backend.disconnect()
        await created.stop()
    return set(range(1, 1 + BULK))


@pytest.fixture
def read_only_dir(tmp_path: pathlib.Path) -> collections.abc.Iterator[tuple[pathlib.Path, pathlib.Path]]:
    """Yield a writable directory and a read-only bind mount of it; unmount it afterwards."""
    writable, read_only = tmp_path / "writable", tmp_path / "read-only"
    writable.mkdir()
    read_only.mkdir()
    _mount("--bind", str(writable), str(read_only))
    try:
        _mount("-o", "remount,bind,ro", str(read_only))
        yield writable, read_only
    finally:
        subprocess.run(["umount", str(read_only)], check=True, timeout=30)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def _files(directory: pathlib.Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


async def test_kura_serve_on_a_read_only_database_serves_reads_and_refuses_writes(
    read_only_dir: tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    writable, read_only = read_only_dir
    stored = await _create(writable / "kura.sqlite3", app)
    before = _files(writable)
    assert set(before) == {"kura.sqlite3"}  # a clean stop folds the WAL in and removes it
    database = read_only / "kura.sqlite3"
    log = tmp_path / "serve.log"
    port, metrics_port = serverproc.free_port(), serverproc.free_port()
    process = await serverproc.start(database, port, "--metrics-address", f"127.0.0.1:{metrics_port}", log=log)
    target = f"127.0.0.1:{port}"
    backend = GrpcBackend(target, app=app, reconnect=None)
    try:
        await backend.connect()  # the server refuses the write session: the backend connects read-only
        assert backend.read_only
        assert backend.session_id is None
        assert await _member_ids(backend) == stored
        with pytest.raises(FailedPreconditionError, match=r"storage is read-only: database .*kura\.sqlite3 cannot"):
            await backend.bulk_members(_members(app, 1000), confirm=True)
        with pytest.raises(FailedPreconditionError, match="storage is read-only"):
            await backend.member_delete(GUILD, 1, confirm=True)
        await backend.flush()  # nothing was issued, nothing to wait for

        async with grpc.aio.insecure_channel(target) as channel:
            stub = cache_service_pb2_grpc.CacheServiceStub(channel)
            for call in (
                stub.UpsertMembers(pb.UpsertMembersRequest(members=[members_.member_to_proto(_members(app, 5)[0])])),
                stub.DeleteGuild(pb.DeleteGuildRequest(guild_id=GUILD)),
                stub.Clear(pb.ClearRequest(members=True)),
                stub.Prune(pb.PruneRequest()),
                stub.Restore(iter([pb.RestoreRequest(chunk=b"not a snapshot")])),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call
                assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
                assert (caught.value.details() or "").startswith("storage is read-only: ")
            write = stub.Write()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await write.read()
            assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            stats = await stub.GetStats(pb.GetStatsRequest())
            snapshot = b"".join([reply.chunk async for reply in stub.Snapshot(pb.SnapshotRequest())])
        assert (stats.members, stats.open_sessions, stats.transactions) == (len(stored), 0, 0)
        metrics = await asyncio.to_thread(_scrape, metrics_port)
        assert f'kura_objects{{kind="members"}} {len(stored)}.0' in metrics
        assert 'kura_rpcs_total{code="FAILED_PRECONDITION",method="UpsertMembers"} 1.0' in metrics
        snapshot_file = tmp_path / "snapshot.sqlite3"
        snapshot_file.write_bytes(snapshot)
        assert _integrity(snapshot_file) == "ok"
        with sqlite3.connect(snapshot_file) as conn:
            assert conn.execute("SELECT count(*) FROM members").fetchone()[0] == len(stored)
    finally:
        await backend.disconnect()
        assert await serverproc.stop(process) == 0
    assert _files(writable) == before  # nothing created, nothing changed
    assert _integrity(writable / "kura.sqlite3") == "ok"
    warnings = [line for line in log.read_text().splitlines() if "serving it read-only" in line]
    assert len(warnings) == 1
    assert "WARNING" in warnings[0]
    assert str(database) in warnings[0]


def _serve(database: pathlib.Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """Run ``kura serve`` expecting it to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "hikari_kura.server", "serve", "--database", str(database), *flags],
        env={**os.environ, "KURA_ADDRESS": "127.0.0.1:0"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kura_serve_without_a_database_in_a_read_only_location_exits_with_a_clear_error(
    read_only_dir: tuple[pathlib.Path, pathlib.Path],
) -> None:
    writable, read_only = read_only_dir
    served = _serve(read_only / "kura.sqlite3")
    assert served.returncode == 1
    assert (
        f"cannot start: database {read_only / 'kura.sqlite3'} does not exist and cannot be created "
        "in a read-only location: nothing to serve"
    ) in served.stderr
    assert "Traceback" not in served.stderr
    assert list(writable.iterdir()) == []


def test_kura_serve_refuses_a_read_only_database_of_an_older_schema(
    read_only_dir: tuple[pathlib.Path, pathlib.Path], app: hikari.GatewayBot
) -> None:
    writable, read_only = read_only_dir
    asyncio.run(_create(writable / "kura.sqlite3", app))
    with sqlite3.connect(writable / "kura.sqlite3") as conn:
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION - 1}")
    before = _files(writable)
    served = _serve(read_only / "kura.sqlite3")
    assert served.returncode == 1
    assert (
        f"cannot start: database {read_only / 'kura.sqlite3'} has schema version {schema.SCHEMA_VERSION - 1}, "
        f"older than this server's {schema.SCHEMA_VERSION}, and is read-only: it cannot be migrated"
    ) in served.stderr
    assert "Traceback" not in served.stderr
    assert _files(writable) == before


async def test_read_only_flag_serves_a_writable_database_without_writing_it(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "kura.sqlite3"
    stored = await _create(database, app)
    before = database.read_bytes()
    port = serverproc.free_port()
    process = await serverproc.start(database, port, "--read-only")
    backend = GrpcBackend(f"127.0.0.1:{port}", app=app, reconnect=None)
    try:
        await backend.connect()
        assert backend.read_only
        assert await _member_ids(backend) == stored
        with pytest.raises(FailedPreconditionError, match=r"storage is read-only: .* is served with --read-only"):
            await backend.bulk_members(_members(app, 1000), confirm=True)
    finally:
        await backend.disconnect()
        assert await serverproc.stop(process) == 0
    assert database.read_bytes() == before
    assert _integrity(database) == "ok"


def test_read_only_flag_refuses_a_database_that_does_not_exist(tmp_path: pathlib.Path) -> None:
    served = subprocess.run(
        [sys.executable, "-m", "hikari_kura.server", "serve", "--database", str(tmp_path / "kura.sqlite3")],
        env={**os.environ, "KURA_ADDRESS": "127.0.0.1:0", "KURA_READ_ONLY": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.returncode == 1
    assert "does not exist: there is nothing to serve read-only" in served.stderr
    assert "Traceback" not in served.stderr
    assert _files(tmp_path) == {}


async def _crashed_copy(directory: pathlib.Path, into: pathlib.Path, app: hikari.GatewayBot) -> set[int]:
    """Store members, delete one more through SQLite and copy the files while the WAL holds it, as a crash leaves them.

    Return the ids the copy holds: the deleted member is only gone if the WAL is read.
    """
    stored = await _create(directory / "kura.sqlite3", app)
    conn = sqlite3.connect(directory / "kura.sqlite3", isolation_level=None)
    try:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("DELETE FROM members WHERE guild_id = ? AND id = 1", (GUILD,))
        for suffix in ("", "-wal", "-shm"):
            shutil.copyfile(directory / f"kura.sqlite3{suffix}", into / f"kura.sqlite3{suffix}")
    finally:
        conn.close()
    return stored - {1}


async def test_a_read_only_database_left_by_a_crash_is_served_with_its_write_ahead_log(
    read_only_dir: tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    writable, read_only = read_only_dir
    (tmp_path / "source").mkdir()
    stored = await _crashed_copy(tmp_path / "source", writable, app)
    before = _files(writable)
    assert before["kura.sqlite3-wal"]  # committed writes wait in the log, not yet in the file
    port = serverproc.free_port()
    process = await serverproc.start(read_only / "kura.sqlite3", port)
    backend = GrpcBackend(f"127.0.0.1:{port}", app=app, reconnect=None)
    try:
        await backend.connect()
        assert backend.read_only
        assert await _member_ids(backend) == stored  # immutable would have skipped the log and shown member 1
        assert await _point_get(backend, 1) == []  # point gets read the log too
        assert await _point_get(backend, 2) == [2]
    finally:
        await backend.disconnect()
        assert await serverproc.stop(process) == 0
    assert _files(writable) == before


async def test_a_read_only_write_ahead_log_without_its_index_is_refused_at_start(
    read_only_dir: tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    writable, read_only = read_only_dir
    (tmp_path / "source").mkdir()
    await _crashed_copy(tmp_path / "source", writable, app)
    (writable / "kura.sqlite3-shm").unlink()
    before = _files(writable)
    served = await asyncio.to_thread(_serve, read_only / "kura.sqlite3")
    assert served.returncode == 1
    assert f"cannot start: database {read_only / 'kura.sqlite3'} cannot be read without write access" in served.stderr
    assert "one start with write access to fold it in" in served.stderr
    assert "Traceback" not in served.stderr
    assert _files(writable) == before


async def test_a_read_only_database_with_an_empty_write_ahead_log_is_served_as_it_is(
    read_only_dir: tuple[pathlib.Path, pathlib.Path], app: hikari.GatewayBot
) -> None:
    writable, read_only = read_only_dir
    stored = await _create(writable / "kura.sqlite3", app)
    (writable / "kura.sqlite3-wal").write_bytes(b"")  # checkpointed, then the process died before removing it
    before = _files(writable)
    port = serverproc.free_port()
    process = await serverproc.start(read_only / "kura.sqlite3", port)
    backend = GrpcBackend(f"127.0.0.1:{port}", app=app, reconnect=None)
    try:
        await backend.connect()
        assert await _member_ids(backend) == stored
        assert await _point_get(backend, 1) == [1]
    finally:
        await backend.disconnect()
        assert await serverproc.stop(process) == 0
    assert _files(writable) == before
