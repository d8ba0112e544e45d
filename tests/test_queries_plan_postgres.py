"""On PostgreSQL too, key lookups and pages are index scans: PostgreSQL's own plan for the server's SQL.

The SQL is the server's (``reads.plan(...).page_sql(...)``, numbered as the engine numbers it).
With sequential scans switched off, a plan still scanning a whole table would mean no index
serves the query; each plan must name the index it ranges over and no ``Seq Scan``.
"""

from __future__ import annotations

import collections.abc
import itertools

import asyncpg
import pytest
from google.protobuf import message

from hikari_kura.server import app as server_app
from hikari_kura.server import postgres_engine, reads
from hikari_kura.v1 import queries_pb2

GUILD = 90_000_000_000_000_001
ROLE = 90_000_000_000_000_101


@pytest.fixture
async def explain(postgres_url: str) -> collections.abc.AsyncIterator[asyncpg.Connection]:
    """Return a connection to a database a Kura server has created its schema in, sequential scans off."""
    server = server_app.Server(server_app.Config(address="127.0.0.1:0", database=postgres_url))
    await server.start()
    await server.stop()
    conn = await asyncpg.connect(postgres_url)
    await conn.execute("SET enable_seqscan = off")
    try:
        yield conn
    finally:
        await conn.close()


CASES = [
    pytest.param(reads.GUILDS, queries_pb2.GuildQuery(id=GUILD), None, "guilds_pkey", id="guild-by-id"),
    pytest.param(reads.ROLES, queries_pb2.RoleQuery(id=ROLE), None, "roles_pkey", id="role-by-id"),
    pytest.param(reads.CHANNELS, queries_pb2.ChannelQuery(id=7), None, "channels_pkey", id="channel-by-id"),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD, id=5),
        None,
        "members_pkey",
        id="member-by-guild-and-id",
    ),
    pytest.param(
        reads.MEMBERS, queries_pb2.MemberQuery(guild_id=GUILD), (GUILD, 5), "members_pkey", id="member-page-of-guild"
    ),
    pytest.param(
        reads.CHANNELS, queries_pb2.ChannelQuery(guild_id=GUILD), (7,), "channels_by_guild", id="channel-page-of-guild"
    ),
    pytest.param(
        reads.ROLES, queries_pb2.RoleQuery(guild_id=GUILD), (ROLE,), "roles_by_guild", id="role-page-of-guild"
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(role_id=ROLE),
        (GUILD, 5),
        "member_roles_by_role",
        id="member-page-holding-role",
    ),
]


@pytest.mark.parametrize(("table", "query", "after", "index"), CASES)
async def test_lookups_and_pages_range_over_an_index(
    explain: asyncpg.Connection,
    table: reads.Table,
    query: message.Message,
    after: tuple[object, ...] | None,
    index: str,
) -> None:
    sql, params = reads.plan(table, query).page_sql(after)

    plan = "\n".join(row[0] for row in await explain.fetch(f"EXPLAIN {postgres_engine.numbered(sql)}", *params, 100))

    assert "Seq Scan" not in plan, plan
    assert index in plan, plan


@pytest.fixture
async def populated(explain: asyncpg.Connection) -> asyncpg.Connection:
    """Fill the tables as a busy cache is (20 guilds of 5,000 members, role holders, channels, roles) and analyze them.

    PostgreSQL plans by its statistics: an empty table's plans are not a full one's.
    """
    await explain.execute(
        "INSERT INTO guilds (id, data) SELECT g, ''::bytea FROM generate_series(1, 20) g;"
        "INSERT INTO members (guild_id, id, data) SELECT g, u, ''::bytea"
        " FROM generate_series(1, 20) g, generate_series(1, 5000) u;"
        "INSERT INTO member_roles (guild_id, user_id, role_id) SELECT g, u, 100 * g + u % 5"
        " FROM generate_series(1, 20) g, generate_series(1, 5000) u;"
        "INSERT INTO roles (id, guild_id, data) SELECT 100 * g + r, g, ''::bytea"
        " FROM generate_series(1, 20) g, generate_series(0, 49) r;"
        "INSERT INTO channels (id, guild_id, parent_id, type, data) SELECT 1000 * g + c, g, 1000 * g + c % 10, 0,"
        " ''::bytea FROM generate_series(1, 20) g, generate_series(10, 509) c;"
        "ANALYZE"
    )
    return explain


def _stand_in_query(query_type: type[message.Message], names: tuple[str, ...]) -> message.Message:
    """Return a query of ``query_type`` setting the fields ``names``: stored keys for ids, stand-ins for the rest."""
    query = query_type()
    stored = {"guild_id": 3, "role_id": 302, "parent_id": 3012, "id": 3012}
    for name in names:
        field = query.DESCRIPTOR.fields_by_name[name]
        if field.message_type is not None:
            getattr(query, name).seconds = 60
        else:
            stand_in = {field.TYPE_STRING: "text", field.TYPE_BOOL: True, field.TYPE_ENUM: 1}.get(field.type, 5)
            setattr(query, name, stored.get(name, stand_in))
    return query


@pytest.mark.parametrize(
    ("table", "query_type"),
    [
        (reads.CHANNELS, queries_pb2.ChannelQuery),
        (reads.MEMBERS, queries_pb2.MemberQuery),
        (reads.ROLES, queries_pb2.RoleQuery),
    ],
    ids=["channels", "members", "roles"],
)
async def test_a_query_that_is_no_scan_checks_no_filter_row_by_row(
    populated: asyncpg.Connection, table: reads.Table, query_type: type[message.Message]
) -> None:
    """Every combination of filters ``reads`` counts as no scan (and not a key lookup): an index serves each filter.

    A ``Filter:`` line in PostgreSQL's plan is a condition checked on each row an index (or a
    sequential scan) gives: a page could then read far more rows than it returns. Guilds have
    no such query (their one index is the key).
    """
    names = [field.name for field in query_type.DESCRIPTOR.fields]
    checked, wrong = 0, {}
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            query_plan = reads.plan(table, _stand_in_query(query_type, subset))
            if query_plan.shape.scans or query_plan.shape.unique:
                continue
            sql, params = query_plan.page_sql(None)
            rows = await populated.fetch(f"EXPLAIN {postgres_engine.numbered(sql)}", *params, 100)
            plan = "\n".join(row[0] for row in rows)
            checked += 1
            if "Seq Scan" in plan or "Filter:" in plan:
                wrong[subset] = plan
    assert checked and wrong == {}
