"""The write operations of the cache, each applied through the engine's transaction.

Operations are built (and their rows encoded) by the RPC layer before they are
queued, so the single writer only hands them to the engine. Consecutive upserts
of one table are merged into one engine call; that is where group commit gets its speed.
"""

from __future__ import annotations

import asyncio
import collections.abc
import dataclasses
import pathlib
import typing

from hikari_kura.server import engine, rows

ENTITY_TABLES: typing.Final = ("guilds", "channels", "members", "roles")
DISCARD_SLICE: typing.Final = 8192
"""Rows of a large upsert freed between two turns of the event loop.

Freeing a row costs about 0.25 us; a bulk of 2M members freed at once would hold the event
loop (and every read waiting on it) for half a second.
"""


class Operation(typing.Protocol):
    """A write the writer applies inside its transaction; the result completes the caller's future."""

    async def apply(self, tx: engine.Transaction) -> object:
        """Carry out this write in the writer's transaction."""


@dataclasses.dataclass(slots=True)
class Upsert:
    """Insert or replace rows of one table; for members, ``role_ids`` holds each row's roles."""

    table: str
    rows: list[rows.Row]
    role_ids: list[collections.abc.Sequence[int]] = dataclasses.field(default_factory=list)
    encoded_bytes: int = 0
    """Bytes of the encoded messages the rows store, which the size limits count."""

    def merge(self, other: Upsert) -> None:
        """Append a later upsert of the same table, so both run as one statement."""
        self.rows.extend(other.rows)
        self.role_ids.extend(other.role_ids)
        self.encoded_bytes += other.encoded_bytes

    async def apply(self, tx: engine.Transaction) -> None:
        """Write the rows; a member's role index is replaced with the roles it now holds."""
        await tx.upsert(self.table, self.rows, self.role_ids)


async def discard(upsert: Upsert) -> None:
    """Empty an upsert that is done with (committed or refused), freeing its rows a slice at a time."""
    while len(upsert.rows) > DISCARD_SLICE:
        del upsert.rows[-DISCARD_SLICE:]
        del upsert.role_ids[-DISCARD_SLICE:]
        await asyncio.sleep(0)
    upsert.rows.clear()
    upsert.role_ids.clear()
    upsert.encoded_bytes = 0


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteGuild:
    """Remove a guild and every channel, member and role it holds."""

    guild_id: int

    async def apply(self, tx: engine.Transaction) -> None:
        """Delete the guild's rows from every table."""
        await tx.delete_guild(self.guild_id)


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteChannel:
    """Remove a channel and the threads whose parent it is (not the channels of a category)."""

    channel_id: int

    async def apply(self, tx: engine.Transaction) -> None:
        """Delete the channel and its threads."""
        await tx.delete_channel(self.channel_id)


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteMember:
    """Remove one membership."""

    guild_id: int
    user_id: int

    async def apply(self, tx: engine.Transaction) -> None:
        """Delete the member and its role index entries."""
        await tx.delete_member(self.guild_id, self.user_id)


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteRole:
    """Remove a role and take it out of the ``role_ids`` of every member that held it."""

    role_id: int
    strip_role: collections.abc.Callable[[bytes, int], bytes]
    """Re-encode a stored member without the role (the RPC layer owns the message types)."""

    async def apply(self, tx: engine.Transaction) -> None:
        """Delete the role, then rewrite each member that held it."""
        await tx.delete_role(self.role_id, self.strip_role)


@dataclasses.dataclass(slots=True, frozen=True)
class Clear:
    """Remove every object of the named tables."""

    tables: tuple[str, ...]

    async def apply(self, tx: engine.Transaction) -> None:
        """Empty the tables (and the member role index with members)."""
        await tx.clear(self.tables)


@dataclasses.dataclass(slots=True, frozen=True)
class Prune:
    """Remove every object not written by an open session, optionally only in one shard's guilds."""

    open_sessions: collections.abc.Callable[[], collections.abc.Collection[int]]
    """Asked when the prune runs, inside the transaction, so no session's fresh write is missed."""
    shard_id: int | None = None
    shard_count: int | None = None

    async def apply(self, tx: engine.Transaction) -> engine.PruneCounts:
        """Delete stale rows table by table and count them."""
        return await tx.prune(self.open_sessions(), self.shard_id, self.shard_count)


@dataclasses.dataclass(slots=True, frozen=True)
class Restore:
    """Replace every cached object with a validated snapshot's, in a transaction of its own."""

    path: pathlib.Path
    session_id: int | None
    """Restored rows count as written by this session (none: stale at the next prune)."""
    exclusive: typing.Literal[True] = True

    async def run(self, db: engine.Engine) -> None:
        """Copy the snapshot's tables over the engine's."""
        await db.restore(self.path, self.session_id)
