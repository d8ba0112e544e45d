"""The write operations of the cache and the SQL that applies each inside the writer's transaction.

Operations are built (and their rows encoded) by the RPC layer before they are
queued, so the single writer only runs SQL. Consecutive upserts of one table are
merged into one ``executemany``; that is where group commit gets its speed.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import typing

import aiosqlite

from hikari_kura.server import rows

UPSERT_SQL: typing.Final[dict[str, str]] = {
    table: f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for table, columns in (
        ("guilds", rows.GUILD_COLUMNS),
        ("channels", rows.CHANNEL_COLUMNS),
        ("members", rows.MEMBER_COLUMNS),
        ("roles", rows.ROLE_COLUMNS),
    )
}
_THREAD_TYPES_SQL: typing.Final = ", ".join(str(value) for value in rows.THREAD_TYPES)
ENTITY_TABLES: typing.Final = ("guilds", "channels", "members", "roles")


class Operation(typing.Protocol):
    """A write the writer applies inside its transaction; the result completes the caller's future."""

    async def apply(self, conn: aiosqlite.Connection) -> object:
        """Run this write's SQL on the writer's connection."""


@dataclasses.dataclass(slots=True)
class Upsert:
    """Insert or replace rows of one table; for members, ``role_ids`` holds each row's roles."""

    table: str
    rows: list[rows.Row]
    role_ids: list[collections.abc.Sequence[int]] = dataclasses.field(default_factory=list)

    def merge(self, other: Upsert) -> None:
        """Append a later upsert of the same table, so both run as one statement."""
        self.rows.extend(other.rows)
        self.role_ids.extend(other.role_ids)

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Write the rows; a member's role index is replaced with the roles it now holds."""
        if self.table != "members":
            await conn.executemany(UPSERT_SQL[self.table], self.rows)
            return
        # A member may come twice in a merged run: the last one wins, as sequential
        # application would leave it, and its role index must hold exactly its roles.
        latest = {(row[0], row[1]): (row, role_ids) for row, role_ids in zip(self.rows, self.role_ids, strict=True)}
        await conn.executemany("DELETE FROM member_roles WHERE guild_id = ? AND user_id = ?", latest.keys())
        await conn.executemany(UPSERT_SQL["members"], (row for row, _ in latest.values()))
        await conn.executemany(
            "INSERT OR IGNORE INTO member_roles (guild_id, user_id, role_id) VALUES (?, ?, ?)",
            ((guild_id, user_id, role_id) for (guild_id, user_id), (_, ids) in latest.items() for role_id in ids),
        )


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteGuild:
    """Remove a guild and every channel, member and role it holds."""

    guild_id: int

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Delete the guild's rows from every table."""
        params = (self.guild_id,)
        await conn.execute("DELETE FROM guilds WHERE id = ?", params)
        for table in ("channels", "members", "member_roles", "roles"):
            await conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", params)


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteChannel:
    """Remove a channel and the threads whose parent it is (not the channels of a category)."""

    channel_id: int

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Delete the channel and its threads."""
        await conn.execute(
            f"DELETE FROM channels WHERE id = ? OR (parent_id = ? AND type IN ({_THREAD_TYPES_SQL}))",
            (self.channel_id, self.channel_id),
        )


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteMember:
    """Remove one membership."""

    guild_id: int
    user_id: int

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Delete the member and its role index entries."""
        params = (self.guild_id, self.user_id)
        await conn.execute("DELETE FROM members WHERE guild_id = ? AND id = ?", params)
        await conn.execute("DELETE FROM member_roles WHERE guild_id = ? AND user_id = ?", params)


@dataclasses.dataclass(slots=True, frozen=True)
class DeleteRole:
    """Remove a role and take it out of the ``role_ids`` of every member that held it."""

    role_id: int
    strip_role: collections.abc.Callable[[bytes, int], bytes]
    """Re-encode a stored member without the role (the RPC layer owns the message types)."""

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Delete the role, then rewrite each member that held it."""
        holders = await conn.execute_fetchall(
            "SELECT m.guild_id, m.id, m.data FROM member_roles r"
            " JOIN members m ON m.guild_id = r.guild_id AND m.id = r.user_id WHERE r.role_id = ?",
            (self.role_id,),
        )
        await conn.executemany(
            "UPDATE members SET data = ? WHERE guild_id = ? AND id = ?",
            [(self.strip_role(data, self.role_id), guild_id, user_id) for guild_id, user_id, data in holders],
        )
        await conn.execute("DELETE FROM member_roles WHERE role_id = ?", (self.role_id,))
        await conn.execute("DELETE FROM roles WHERE id = ?", (self.role_id,))


@dataclasses.dataclass(slots=True, frozen=True)
class Clear:
    """Remove every object of the named tables."""

    tables: tuple[str, ...]

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Empty the tables (and the member role index with members)."""
        for table in self.tables:
            await conn.execute(f"DELETE FROM {table}")
            if table == "members":
                await conn.execute("DELETE FROM member_roles")


@dataclasses.dataclass(slots=True, frozen=True)
class PruneCounts:
    """How many objects of each kind a prune removed."""

    guilds: int
    channels: int
    members: int
    roles: int


@dataclasses.dataclass(slots=True, frozen=True)
class Prune:
    """Remove every object not written by an open session, optionally only in one shard's guilds."""

    open_sessions: collections.abc.Callable[[], collections.abc.Collection[int]]
    """Asked when the prune runs, inside the transaction, so no session's fresh write is missed."""
    shard_id: int | None = None
    shard_count: int | None = None

    async def apply(self, conn: aiosqlite.Connection) -> PruneCounts:
        """Delete stale rows table by table and count them."""
        sessions = sorted(self.open_sessions())
        stale = f"(session_id IS NULL OR session_id NOT IN ({', '.join('?' * len(sessions))}))"
        counts: dict[str, int] = {}
        for table in ENTITY_TABLES:
            guild_column = "id" if table == "guilds" else "guild_id"
            where, params = stale, list(sessions)
            if self.shard_count is not None and self.shard_id is not None:
                where += f" AND (({guild_column} >> 22) % ?) = ?"
                params += [self.shard_count, self.shard_id]
            if table == "members":
                await conn.execute(
                    "DELETE FROM member_roles WHERE (guild_id, user_id) IN"
                    f" (SELECT guild_id, id FROM members WHERE {where})",
                    params,
                )
            cursor = await conn.execute(f"DELETE FROM {table} WHERE {where}", params)
            counts[table] = cursor.rowcount
        return PruneCounts(**counts)
