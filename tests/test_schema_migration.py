"""A SQLite database or snapshot of an older schema version is migrated, and holds exactly what it held.

Schema version 2 keeps the member role index in one B-tree keyed by role, where version 1 kept a table
keyed by member and an index by role. A version 1 file is made here the way a version 1 server made
it: with version 1's migration script, then the same rows.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sqlite3
import typing

import cachestate
import grpc
import hikari

from hikari_kura.client import GrpcBackend, MemberQuery
from hikari_kura.server import app as server_app
from hikari_kura.server import schema, snapshots
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

_TABLES = (*schema.CACHE_TABLES, "sessions")


def _as_version_1(source: pathlib.Path, out: pathlib.Path) -> None:
    """Write ``out``: a schema version 1 database with every row of ``source`` (a current database)."""
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        conn.executescript(f"PRAGMA application_id = {schema.APPLICATION_ID};\n{schema.MIGRATIONS[0]}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("ATTACH DATABASE ? AS source", (str(source),))
        conn.execute("BEGIN")
        for table in _TABLES:
            columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA source.table_info({table})"))
            conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM source.{table}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE source")
    finally:
        conn.close()


def _role_index(database: pathlib.Path) -> tuple[list[str], list[tuple[int, int, int]]]:
    """Return the indexes on ``member_roles`` (by name) and its rows, sorted."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        indexes = sorted(row[1] for row in conn.execute("PRAGMA index_list(member_roles)") if row[3] == "c")
        entries = sorted(conn.execute("SELECT guild_id, user_id, role_id FROM member_roles"))
        return indexes, entries
    finally:
        conn.close()


async def _holders(target: str, app: hikari.GatewayBot, role_ids: set[int]) -> dict[int, set[int]]:
    """Return the members holding each role, as the role query serves them."""
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        return {
            role_id: {member.id async for member in backend.iter_members(MemberQuery(role_id=role_id))}
            for role_id in role_ids
        }
    finally:
        await backend.disconnect()


@dataclasses.dataclass(frozen=True, slots=True)
class _Before:
    """What the cache held and served before it was rewritten as version 1."""

    served: dict[str, list[bytes]]
    holders: dict[int, set[int]]
    entries: list[tuple[int, int, int]]
    rows: dict[str, list[tuple[typing.Any, ...]]]


async def _seeded_version_1(tmp_path: pathlib.Path, app: hikari.GatewayBot) -> tuple[pathlib.Path, _Before]:
    """Seed a current database, stop its server and rewrite the file as version 1; return it and what it served."""
    current = tmp_path / "current.sqlite3"
    server = server_app.Server(server_app.Config(address="127.0.0.1:0", database=current))
    await server.start()
    try:
        seeded = await cachestate.seed(f"127.0.0.1:{server.port}", app)
        role_ids = {role_id for member in seeded.members for role_id in member.role_ids}
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            served = await cachestate.served(cache_service_pb2_grpc.CacheServiceStub(channel))
        holders = await _holders(f"127.0.0.1:{server.port}", app, role_ids)
    finally:
        await server.stop()
    old = tmp_path / "old.sqlite3"
    _as_version_1(current, old)
    _, entries = _role_index(current)
    assert any(holders.values()), "the seed must give members roles, or the index proves nothing"
    return old, _Before(served, holders, entries, await cachestate.stored_rows(current))


async def test_a_version_1_database_is_migrated_in_place_and_serves_the_same_cache(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    old, before = await _seeded_version_1(tmp_path, app)
    assert _role_index(old)[0] == ["member_roles_by_role"]

    server = server_app.Server(server_app.Config(address="127.0.0.1:0", database=old))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = cache_service_pb2_grpc.CacheServiceStub(channel)
            stats = await stub.GetStats(pb.GetStatsRequest())
            served = await cachestate.served(stub)
        holders = await _holders(f"127.0.0.1:{server.port}", app, set(before.holders))
    finally:
        await server.stop()

    assert stats.schema_version == schema.SCHEMA_VERSION == 2
    assert served == before.served
    assert holders == before.holders
    assert _role_index(old) == ([], before.entries)
    assert await cachestate.stored_rows(old) == before.rows


async def test_a_version_1_snapshot_restores_into_a_current_server(
    tmp_path: pathlib.Path, app: hikari.GatewayBot, target: str, stub: cache_service_pb2_grpc.CacheServiceStub
) -> None:
    old, before = await _seeded_version_1(tmp_path, app)
    snapshots.seal(old)

    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        await backend.restore(old)
    finally:
        await backend.disconnect()

    assert await cachestate.served(stub) == before.served
    assert await _holders(target, app, set(before.holders)) == before.holders  # type: ignore[arg-type]
