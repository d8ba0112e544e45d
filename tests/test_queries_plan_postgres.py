"""On PostgreSQL too, key lookups and pages are index scans: PostgreSQL's own plan for the server's SQL.

The SQL is the server's (``reads.plan(...).page_sql(...)``, numbered as the engine numbers it).
With sequential scans switched off, a plan still scanning a whole table would mean no index
serves the query; each plan must name the index it ranges over and no ``Seq Scan``.
"""

from __future__ import annotations

import collections.abc

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
