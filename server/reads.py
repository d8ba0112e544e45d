"""Queries: turn a query message into SQL and page through results by key, a batch per statement.

Paging by key (``WHERE key > last ORDER BY key LIMIT n``) rather than holding a
cursor means a slow consumer never pins a reader connection or a read
transaction (which would stop WAL checkpoints), and every batch uses an index.

A query filtering on what no index serves is a *scan*: one page's statement may
read a whole table to find its rows. Scans run within their own share of the
readers (``engine.scan_share``), so they cannot take every reader from indexed reads.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import typing

from google.protobuf import descriptor, duration_pb2, message

from hikari_kura.server import rows, validation


@dataclasses.dataclass(frozen=True, slots=True)
class Table:
    """How one entity kind is stored and ordered."""

    name: str
    key: tuple[str, ...]
    key_filters: frozenset[str]
    """Query fields that hold keys, refused when not positive: no stored object has another."""
    reference_filters: frozenset[str]
    """Query fields that hold ids of other objects, refused when negative (0 is one a stored object may hold)."""
    indexes: tuple[tuple[str, ...], ...]
    """The query fields of each index, in its column order (both engines keep the same indexes).

    A query whose filters are the first fields of one index reads only rows it returns; any
    other filter is checked row by row (``Shape.scans``).
    """


GUILDS: typing.Final = Table(
    "guilds",
    ("id",),
    frozenset({"id"}),
    frozenset(
        {
            "owner_id",
            "application_id",
            "afk_channel_id",
            "rules_channel_id",
            "system_channel_id",
            "public_updates_channel_id",
            "widget_channel_id",
        }
    ),
    (("id",),),
)
CHANNELS: typing.Final = Table(
    "channels",
    ("id",),
    frozenset({"id", "guild_id"}),
    frozenset({"parent_id"}),
    (("id",), ("guild_id", "id"), ("parent_id",)),
)
MEMBERS: typing.Final = Table(
    "members",
    ("guild_id", "id"),
    frozenset({"guild_id", "id"}),
    frozenset({"role_id"}),
    # The role index (member_roles by role, then member key) serves role queries.
    (("guild_id", "id"), ("role_id", "guild_id", "id")),
)
ROLES: typing.Final = Table(
    "roles",
    ("id",),
    frozenset({"id", "guild_id"}),
    frozenset({"bot_id", "integration_id"}),
    (("id",), ("guild_id", "id")),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Shape:
    """What every query of one table filtering the same fields shares, built once: its SQL and key.

    Queries differ by their values far more often than by the fields they set, so the
    SQL of a shape is built on its first query and reused (``shape`` caches it).
    """

    table: Table
    first_sql: str
    """The first page's statement: the filters, key order and ``LIMIT ?``."""
    next_sql: str
    """A later page's statement: the first's with the key condition after the filters."""
    order: tuple[int, ...]
    """Which filter value each filter placeholder takes, in placeholder order."""
    ids: tuple[tuple[int, str, bool], ...]
    """The filter values that must be snowflakes, with the field path an error names and whether each is a key."""
    converted: tuple[int, ...]
    """The filter values stored in another form than the query's: durations, unsigned 64-bit bitfields."""
    key_columns: tuple[str, ...]
    after_key: tuple[int, ...]
    """Which columns of the last row's key the key condition compares (those no filter pins)."""
    unique: bool
    """Filters pin every key column: a query matches one row at most."""
    scans: bool
    """No index serves every filter: a page's statement may read rows it does not return, up to a whole table."""


def _shape(table: Table, fields: tuple[descriptor.FieldDescriptor, ...]) -> Shape:
    """Build the SQL and key of queries over ``table`` that set ``fields`` (in field order)."""
    names = [field.name for field in fields]
    positions = {name: index for index, name in enumerate(names)}
    if table is MEMBERS and "role_id" in positions:
        # Members holding a role: walk the role index in key order and join each member.
        select = (
            "SELECT m.guild_id, m.id, m.data FROM member_roles r"
            " JOIN members m ON m.guild_id = r.guild_id AND m.id = r.user_id"
        )
        # Key filters go on the role index's own columns, so one index range serves them.
        role_columns = {"guild_id": "r.guild_id", "id": "r.user_id"}
        others = [name for name in names if name != "role_id"]
        where = ["r.role_id = ?", *(f"{role_columns.get(name, 'm.' + name)} = ?" for name in others)]
        order = (positions["role_id"], *(positions[name] for name in others))
        key_columns: tuple[str, ...] = ("r.guild_id", "r.user_id")
        pinned = {column for name, column in role_columns.items() if name in positions}
    else:
        select = f"SELECT {', '.join(table.key)}, data FROM {table.name}"
        where = [f"{name} = ?" for name in names]
        order = tuple(range(len(names)))
        key_columns = table.key
        pinned = {column for column in table.key if column in positions}
    # Later pages leave out the key columns a filter pins: the rest orders the rows the same, and
    # SQLite then ranges the index from the last key (``guild_id = ? AND id > ?``) instead of
    # walking every row of the pinned prefix up to it on every page.
    # With every key column pinned there is one row at most: keep the whole key then.
    after_key = tuple(i for i, column in enumerate(key_columns) if column not in pinned) or tuple(
        range(len(key_columns))
    )
    free = [key_columns[i] for i in after_key]
    condition = f"({', '.join(free)}) > ({', '.join('?' * len(free))})"
    tail = f" ORDER BY {', '.join(key_columns)} LIMIT ?"
    first_sql = select + (" WHERE " + " AND ".join(where) if where else "") + tail
    next_sql = select + " WHERE " + " AND ".join([*where, condition]) + tail
    ids = tuple(
        (positions[name], f"query.{name}", name in table.key_filters)
        for name in names
        if name in table.key_filters or name in table.reference_filters
    )
    converted = tuple(
        index
        for index, field in enumerate(fields)
        if field.type == descriptor.FieldDescriptor.TYPE_UINT64
        or field.message_type is duration_pb2.Duration.DESCRIPTOR
    )
    unique = pinned == set(key_columns)
    return Shape(
        table, first_sql, next_sql, order, ids, converted, key_columns, after_key, unique, _scans(table, names, unique)
    )


def _scans(table: Table, names: collections.abc.Collection[str], unique: bool) -> bool:
    """Return whether a query filtering ``names`` may read rows it does not return (no index serves every filter)."""
    filtered = set(names)
    # No filter: every row read is returned. One row at most: reading it is the whole cost.
    if not filtered or unique:
        return False
    return not any(filtered == set(index[:n]) for index in table.indexes for n in range(1, len(index) + 1))


shape: typing.Final = functools.lru_cache(maxsize=1024)(_shape)
"""``_shape``, cached: one build per table and set of fields (bounded, as clients choose the fields)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """A query ready to page: its shape and the values of its filters, in placeholder order."""

    shape: Shape
    params: list[object]

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The columns rows are ordered by; a page's rows start with them."""
        return self.shape.key_columns

    def page_sql(self, after: tuple[object, ...] | None) -> tuple[str, list[object]]:
        """Return the SQL and parameters (all but the ``LIMIT``) of the page that follows key ``after``."""
        if after is None:
            return self.shape.first_sql, list(self.params)
        return self.shape.next_sql, [*self.params, *(after[i] for i in self.shape.after_key)]


def _column_value(value: object) -> object:
    """Return a filter value as its column stores it: a duration in microseconds, an unsigned 64-bit value signed."""
    if isinstance(value, duration_pb2.Duration):
        return rows.duration_micros(value.seconds, value.nanos)
    return rows.signed64(typing.cast(int, value))


def plan(table: Table, query: message.Message | None) -> Plan:
    """Return the plan of a query over ``table``; ``None`` matches everything."""
    fields = () if query is None else query.ListFields()
    query_shape = shape(table, tuple([field for field, _ in fields]))
    values = [value for _, value in fields]
    for index in query_shape.converted:
        values[index] = _column_value(values[index])
    for index, path, is_key in query_shape.ids:
        (validation.snowflake if is_key else validation.reference)(typing.cast(int, values[index]), path)
    return Plan(query_shape, [values[index] for index in query_shape.order])


class Reader(typing.Protocol):
    """Something that runs read statements on reader connections."""

    async def fetch(
        self, sql: str, params: collections.abc.Sequence[object], *, scan: bool = False
    ) -> list[typing.Any]:
        """Return every row of one statement; a ``scan`` runs within the scans' share of the readers."""

    async def lookup(self, sql: str, params: collections.abc.Sequence[object]) -> list[typing.Any]:
        """Return the row (if any) of a statement that reads one row at most, by a unique key."""


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
    if query_plan.shape.unique:
        # One row at most: one statement (a reader may run it without a thread hop), no page after it.
        sql, params = query_plan.page_sql(None)
        if found := await reader.lookup(sql, [*params, 1]):
            yield [found[0][key_width]]
        return
    while remaining is None or remaining > 0:
        want = size if remaining is None else min(size, remaining)
        sql, params = query_plan.page_sql(after)
        batch = await reader.fetch(sql, [*params, want], scan=query_plan.shape.scans)
        if not batch:
            return
        yield [row[key_width] for row in batch]
        if len(batch) < want:
            return
        if remaining is not None:
            remaining -= len(batch)
        after = tuple(batch[-1][:key_width])
