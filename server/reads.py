"""Queries: turn a query message into SQL and page through results by key, a batch per statement.

Paging by key (``WHERE key > last ORDER BY key LIMIT n``) rather than holding a
cursor means a slow consumer never pins a reader connection or a read
transaction (which would stop WAL checkpoints), and every batch uses an index.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import typing

from google.protobuf import duration_pb2, message

from hikari_kura.server import rows, validation


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    """How one entity kind is stored and ordered."""

    name: str
    key: tuple[str, ...]
    id_filters: frozenset[str]
    """Query fields that hold snowflakes, refused when not positive."""


GUILDS: typing.Final = Table(
    "guilds",
    ("id",),
    frozenset(
        {
            "id",
            "owner_id",
            "application_id",
            "afk_channel_id",
            "rules_channel_id",
            "system_channel_id",
            "public_updates_channel_id",
            "widget_channel_id",
        }
    ),
)
CHANNELS: typing.Final = Table("channels", ("id",), frozenset({"id", "guild_id", "parent_id"}))
MEMBERS: typing.Final = Table("members", ("guild_id", "id"), frozenset({"guild_id", "id", "role_id"}))
ROLES: typing.Final = Table("roles", ("id",), frozenset({"id", "guild_id", "bot_id", "integration_id"}))


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """A query ready to page: SQL with a placeholder for the key condition, and its parameters."""

    table: Table
    select: str
    where: list[str]
    params: list[object]
    key_columns: tuple[str, ...]
    pinned: frozenset[str] = frozenset()
    """Key columns an equality filter fixes: every row of the query has the same value there."""

    def page_sql(self, after: tuple[object, ...] | None) -> tuple[str, list[object]]:
        """Return the SQL and parameters of the page that follows key ``after``."""
        where = list(self.where)
        params = list(self.params)
        if after is not None:
            # Leave out the key columns a filter pins: the rest orders the rows the same, and
            # SQLite then ranges the index from ``after`` (``guild_id = ? AND id > ?``) instead of
            # walking every row of the pinned prefix up to it on every page.
            # With every key column pinned there is one row at most: keep the whole key then.
            key = list(zip(self.key_columns, after, strict=True))
            free = [(column, value) for column, value in key if column not in self.pinned] or key
            where.append(f"({', '.join(column for column, _ in free)}) > ({', '.join('?' * len(free))})")
            params.extend(value for _, value in free)
        sql = self.select
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {', '.join(self.key_columns)} LIMIT ?"
        return sql, params


def _column_value(name: str, value: object) -> object:
    if isinstance(value, duration_pb2.Duration):
        return rows.duration_micros(value.seconds, value.nanos)
    if name == "permissions":
        return rows.signed64(typing.cast(int, value))
    return value


def plan(table: Table, query: message.Message | None) -> Plan:
    """Return the plan of a query over ``table``; ``None`` matches everything."""
    filters: list[tuple[str, object]] = []
    if query is not None:
        for field, value in query.ListFields():
            if field.name in table.id_filters:
                validation.snowflake(typing.cast(int, value), f"query.{field.name}")
            filters.append((field.name, _column_value(field.name, value)))
    names = {name for name, _ in filters}
    role_id = next((value for name, value in filters if name == "role_id"), None)
    if table is MEMBERS and role_id is not None:
        # Members holding a role: walk the role index in key order and join each member.
        select = (
            "SELECT m.guild_id, m.id, m.data FROM member_roles r"
            " JOIN members m ON m.guild_id = r.guild_id AND m.id = r.user_id"
        )
        # Key filters go on the role index's own columns, so one index range serves them.
        role_columns = {"guild_id": "r.guild_id", "id": "r.user_id"}
        where = ["r.role_id = ?"]
        params: list[object] = [role_id]
        for name, value in filters:
            if name != "role_id":
                where.append(f"{role_columns.get(name, 'm.' + name)} = ?")
                params.append(value)
        pinned = frozenset(column for name, column in role_columns.items() if name in names)
        return Plan(table, select, where, params, ("r.guild_id", "r.user_id"), pinned)
    key = ", ".join(table.key)
    where = [f"{name} = ?" for name, _ in filters]
    pinned = frozenset(column for column in table.key if column in names)
    return Plan(table, f"SELECT {key}, data FROM {table.name}", where, [v for _, v in filters], table.key, pinned)


class Reader(typing.Protocol):
    """Something that runs one read statement on a reader connection."""

    async def fetch(self, sql: str, params: collections.abc.Sequence[object]) -> list[typing.Any]:
        """Return every row of one statement."""


DEFAULT_BATCH: typing.Final = 1000
MAX_BATCH: typing.Final = 10_000


async def pages(
    reader: Reader, query_plan: Plan, *, batch_size: int, limit: int
) -> collections.abc.AsyncIterator[list[bytes]]:
    """Yield the stored messages of a query, one list per batch, in key order."""
    validation.batch(batch_size, limit)
    size = min(batch_size or DEFAULT_BATCH, MAX_BATCH)
    remaining = limit or None
    after: tuple[object, ...] | None = None
    key_width = len(query_plan.key_columns)
    while remaining is None or remaining > 0:
        want = size if remaining is None else min(size, remaining)
        sql, params = query_plan.page_sql(after)
        batch = await reader.fetch(sql, [*params, want])
        if not batch:
            return
        yield [row[key_width] for row in batch]
        if len(batch) < want:
            return
        if remaining is not None:
            remaining -= len(batch)
        after = tuple(batch[-1][:key_width])
