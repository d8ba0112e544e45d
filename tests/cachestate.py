"""Seed a cache with real entities, and take exact pictures of what it holds.

A refused request must change nothing: the tests compare a picture taken before it with one
taken after. ``stored_rows`` reads every row of every cache table straight from the SQLite file
(ids, filter columns, the session that wrote each row, the message bytes); ``served`` is what
the Iter RPCs stream back, message by message.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sqlite3
import typing

import hikari
import payloads

from hikari_kura.client import GrpcBackend
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


def stored_rows(database: pathlib.Path) -> dict[str, list[tuple[typing.Any, ...]]]:
    """Return every row, every column, of every cache table in the database file, in a stable order."""
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


async def picture(database: pathlib.Path, stub: cache_service_pb2_grpc.CacheServiceStub) -> Picture:
    """Take a picture of the cache."""
    return Picture(stored_rows(database), await served(stub))


def database_files(database: pathlib.Path) -> list[str]:
    """Return the names of the files in the database's directory: the database, its WAL, and nothing else."""
    return sorted(path.name for path in database.parent.iterdir() if path.is_file())


def file_names(directory: pathlib.Path) -> list[str]:
    """Return the names of the entries of a directory."""
    return sorted(path.name for path in directory.iterdir())
