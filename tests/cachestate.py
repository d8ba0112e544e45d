"""Seed a cache with real entities, and take exact pictures of what it holds.

A refused request must change nothing: the tests compare a picture taken before it with one
taken after. ``stored_rows`` reads every row of every cache table straight from the database
(ids, filter columns, the session that wrote each row, the message bytes); ``served`` is what
the Iter RPCs stream back, message by message.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sqlite3
import tempfile
import typing

import asyncpg
import hikari
import payloads

from hikari_kura.client import GrpcBackend, MemberQuery
from hikari_kura.server import schema
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc


@dataclasses.dataclass(frozen=True, slots=True)
class Seeded:
    """The hikari entities a seeded cache holds, by kind."""

    guilds: list[hikari.GatewayGuild]
    channels: list[hikari.GuildChannel]
    members: list[hikari.Member]
    roles: list[hikari.Role]


async def seed(target: str, app: hikari.GatewayBot) -> Seeded:
    """Store every entity of a full and an edge-value GUILD_CREATE, through a session that then closes."""
    guilds: list[hikari.GatewayGuild] = []
    channels: list[hikari.GuildChannel] = []
    members: list[hikari.Member] = []
    roles: list[hikari.Role] = []
    for data in (payloads.guild_create_payload(), payloads.edge_guild_create_payload()):
        guilds.append(payloads.guild(app, data))
        channels += [*payloads.channels(app, data), *payloads.threads(app, data)]
        members += payloads.members(app, data)
        roles += payloads.roles(app, data)
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        for guild in guilds:
            await backend.guild_join(guild, confirm=False)
        await backend.bulk_channels(channels, confirm=False)
        await backend.bulk_members(members, confirm=False)
        await (await backend.bulk_roles(roles, confirm=True))
        assert backend.failed_writes == 0
    finally:
        # Closing the session makes the seeded rows stale: a prune that ran would remove them all.
        await backend.disconnect()
    return Seeded(guilds, channels, members, roles)


async def stored_rows(database: pathlib.Path | str) -> dict[str, list[tuple[typing.Any, ...]]]:
    """Return every row, every column, of every cache table of the database, in a stable order.

    ``database`` is a SQLite file, read straight from disk, or a PostgreSQL URL.
    """
    if isinstance(database, str):
        pg = await asyncpg.connect(database)
        try:
            return {
                table: sorted((tuple(row) for row in await pg.fetch(f"SELECT * FROM {table}")), key=repr)
                for table in schema.CACHE_TABLES
            }
        finally:
            await pg.close()
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in schema.CACHE_TABLES
        }
    finally:
        conn.close()


async def served(stub: cache_service_pb2_grpc.CacheServiceStub) -> dict[str, list[bytes]]:
    """Return the serialized messages every Iter RPC streams back with no query, in the order it streams them."""
    result: dict[str, list[bytes]] = {"guilds": [], "channels": [], "members": [], "roles": []}
    async for guilds in stub.IterGuilds(pb.IterGuildsRequest()):
        result["guilds"] += [message.SerializeToString(deterministic=True) for message in guilds.guilds]
    async for channels in stub.IterChannels(pb.IterChannelsRequest()):
        result["channels"] += [message.SerializeToString(deterministic=True) for message in channels.channels]
    async for members in stub.IterMembers(pb.IterMembersRequest()):
        result["members"] += [message.SerializeToString(deterministic=True) for message in members.members]
    async for roles in stub.IterRoles(pb.IterRolesRequest()):
        result["roles"] += [message.SerializeToString(deterministic=True) for message in roles.roles]
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class Picture:
    """What a cache holds: its stored rows and what it serves."""

    rows: dict[str, list[tuple[typing.Any, ...]]]
    served: dict[str, list[bytes]]


async def picture(database: pathlib.Path | str, stub: cache_service_pb2_grpc.CacheServiceStub) -> Picture:
    """Take a picture of the cache."""
    return Picture(await stored_rows(database), await served(stub))


def database_files(database: pathlib.Path | str) -> list[str]:
    """Return the names of the files where the engine puts snapshot and restore files while it works.

    SQLite works beside its database file; PostgreSQL in the system's temporary directory.
    """
    if isinstance(database, str):
        temporary = pathlib.Path(tempfile.gettempdir())
        patterns = ("kura-snapshot-*", "kura-restore-*")
        return sorted(path.name for pattern in patterns for path in temporary.glob(pattern))
    return sorted(path.name for path in database.parent.iterdir() if path.is_file())


def file_names(directory: pathlib.Path) -> list[str]:
    """Return the names of the entries of a directory."""
    return sorted(path.name for path in directory.iterdir())


async def member_ids(backend: GrpcBackend, guild_id: int) -> set[int]:
    """Return the ids of the members of a guild the cache serves."""
    return {int(m.id) async for m in backend.iter_members(MemberQuery(guild_id=guild_id))}


async def guild_ids(backend: GrpcBackend) -> set[int]:
    """Return the ids of the guilds the cache serves."""
    return {int(g.id) async for g in backend.iter_guilds()}
