"""Key lookups and pages use an index: SQLite's own plan and work counts for the SQL the server builds.

The SQL is the server's (``reads.plan(...).page_sql(...)``), run on the server's database file
through a read-only connection of Python's ``sqlite3``.
"""

from __future__ import annotations

import contextlib
import pathlib
import sqlite3

import hikari
import payloads
import pytest
from google.protobuf import message

from hikari_kura.client import GrpcBackend
from hikari_kura.server import app as server_app
from hikari_kura.server import reads
from hikari_kura.v1 import queries_pb2

GUILD = payloads.GUILD_ID
OTHER_GUILD = 90_000_000_000_000_002
ROLE = payloads.ROLE_ADMIN_ID
MEMBERS = 3_000
FIRST_USER = 1_000_000_000_000_000_000

pytestmark = pytest.mark.sqlite_only  # SQLite's own query plans and work counters, read from its file


def _connect_read_only(path: pathlib.Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True))


def _explain(path: pathlib.Path, sql: str, params: list[object]) -> list[str]:
    with _connect_read_only(path) as conn:
        return [str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def _page_sql(
    table: reads.Table, query: message.Message | None, after: tuple[object, ...] | None, limit: int = 100
) -> tuple[str, list[object]]:
    sql, params = reads.plan(table, query).page_sql(after)
    return sql, [*params, limit]


@pytest.fixture
async def stored(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    """Store a guild of MEMBERS members, every other one holding ROLE, a small guild, channels and roles."""
    data = payloads.guild_create_payload()
    await (await backend.guild_join(payloads.guild(app, data), confirm=True))
    await (await backend.bulk_channels([*payloads.channels(app, data), *payloads.threads(app, data)], confirm=True))
    await (await backend.bulk_roles(payloads.roles(app, data), confirm=True))
    members = [
        payloads.member(
            app,
            payloads.member_payload(FIRST_USER + n, roles=[str(ROLE)] if n % 2 else []),
            guild_id=guild_id,
        )
        for guild_id, count in ((GUILD, MEMBERS), (OTHER_GUILD, 50))
        for n in range(count)
    ]
    await (await backend.bulk_members(members, confirm=True))


KEY_LOOKUPS = [
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD, id=FIRST_USER + 7),
        "members USING PRIMARY KEY (guild_id=? AND id=?)",
        id="member-by-guild-and-id",
    ),
    pytest.param(
        reads.CHANNELS,
        queries_pb2.ChannelQuery(id=payloads.TEXT_ID),
        "channels USING INTEGER PRIMARY KEY (rowid=?)",
        id="channel-by-id",
    ),
    pytest.param(
        reads.ROLES, queries_pb2.RoleQuery(id=ROLE), "roles USING INTEGER PRIMARY KEY (rowid=?)", id="role-by-id"
    ),
    pytest.param(
        reads.GUILDS, queries_pb2.GuildQuery(id=GUILD), "guilds USING INTEGER PRIMARY KEY (rowid=?)", id="guild-by-id"
    ),
]


@pytest.mark.parametrize(("table", "query", "search"), KEY_LOOKUPS)
@pytest.mark.usefixtures("stored")
async def test_lookup_by_key_searches_the_primary_key(
    server: server_app.Server, table: reads.Table, query: message.Message, search: str
) -> None:
    plan = _explain(server.config.database, *_page_sql(table, query, None))

    assert plan == [f"SEARCH {search}"]


PAGES = [
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD),
        None,
        ["SEARCH members USING PRIMARY KEY (guild_id=?)"],
        id="members-by-guild-first-page",
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD),
        (GUILD, FIRST_USER + 100),
        ["SEARCH members USING PRIMARY KEY (guild_id=? AND id>?)"],
        id="members-by-guild-next-page",
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD, nickname="Nickname"),
        (GUILD, FIRST_USER + 100),
        ["SEARCH members USING PRIMARY KEY (guild_id=? AND id>?)"],
        id="members-by-guild-and-nickname-next-page",
    ),
    pytest.param(
        reads.MEMBERS,
        None,
        (GUILD, FIRST_USER + 100),
        ["SEARCH members USING PRIMARY KEY ((guild_id,id)>(?,?))"],
        id="every-member-next-page",
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(role_id=ROLE),
        None,
        [
            "SEARCH r USING PRIMARY KEY (role_id=?)",
            "SEARCH m USING PRIMARY KEY (guild_id=? AND id=?)",
        ],
        id="members-by-role-first-page",
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(role_id=ROLE),
        (GUILD, FIRST_USER + 101),
        [
            "SEARCH r USING PRIMARY KEY (role_id=? AND (guild_id,user_id)>(?,?))",
            "SEARCH m USING PRIMARY KEY (guild_id=? AND id=?)",
        ],
        id="members-by-role-next-page",
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD, role_id=ROLE),
        (GUILD, FIRST_USER + 101),
        [
            "SEARCH r USING PRIMARY KEY (role_id=? AND guild_id=? AND user_id>?)",
            "SEARCH m USING PRIMARY KEY (guild_id=? AND id=?)",
        ],
        id="members-by-guild-and-role-next-page",
    ),
    pytest.param(
        reads.MEMBERS,
        queries_pb2.MemberQuery(guild_id=GUILD, id=FIRST_USER + 1, role_id=ROLE),
        None,
        [
            "SEARCH r USING PRIMARY KEY (role_id=? AND guild_id=? AND user_id=?)",
            "SEARCH m USING PRIMARY KEY (guild_id=? AND id=?)",
        ],
        id="member-by-key-holding-role",
    ),
    pytest.param(
        reads.CHANNELS,
        queries_pb2.ChannelQuery(guild_id=GUILD),
        (payloads.TEXT_ID,),
        ["SEARCH channels USING INDEX channels_by_guild (guild_id=? AND id>?)"],
        id="channels-by-guild-next-page",
    ),
    pytest.param(
        reads.CHANNELS,
        queries_pb2.ChannelQuery(parent_id=payloads.CATEGORY_ID),
        (payloads.TEXT_ID,),
        ["SEARCH channels USING INDEX channels_by_parent (parent_id=? AND rowid>?)"],
        id="channels-by-parent-next-page",
    ),
    pytest.param(
        reads.ROLES,
        queries_pb2.RoleQuery(guild_id=GUILD),
        (ROLE,),
        ["SEARCH roles USING INDEX roles_by_guild (guild_id=? AND id>?)"],
        id="roles-by-guild-next-page",
    ),
    pytest.param(
        reads.GUILDS, None, (GUILD,), ["SEARCH guilds USING INTEGER PRIMARY KEY (rowid>?)"], id="every-guild-next-page"
    ),
]


@pytest.mark.parametrize(("table", "query", "after", "expected"), PAGES)
@pytest.mark.usefixtures("stored")
async def test_page_searches_an_index_from_the_last_key_without_sorting(
    server: server_app.Server,
    table: reads.Table,
    query: message.Message | None,
    after: tuple[object, ...] | None,
    expected: list[str],
) -> None:
    plan = _explain(server.config.database, *_page_sql(table, query, after))

    assert plan == expected
    assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan)


def _vm_steps(path: pathlib.Path, sql: str, params: list[object]) -> tuple[int, int]:
    """Run a statement; return how many rows it gave and how many SQLite VM steps it took (in units of 100)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    with _connect_read_only(path) as conn:
        conn.set_progress_handler(count, 100)
        rows = conn.execute(sql, params).fetchall()
    return len(rows), steps


@pytest.mark.parametrize(
    "query",
    [
        queries_pb2.MemberQuery(guild_id=GUILD),
        queries_pb2.MemberQuery(guild_id=GUILD, role_id=ROLE),
        queries_pb2.MemberQuery(role_id=ROLE),
        None,
    ],
    ids=["by-guild", "by-guild-and-role", "by-role", "everything"],
)
@pytest.mark.usefixtures("stored")
async def test_a_late_page_costs_no_more_than_an_early_one(
    server: server_app.Server, query: queries_pb2.MemberQuery | None
) -> None:
    path = server.config.database
    early_rows, early_steps = _vm_steps(path, *_page_sql(reads.MEMBERS, query, (GUILD, FIRST_USER + 1)))
    late_rows, late_steps = _vm_steps(path, *_page_sql(reads.MEMBERS, query, (GUILD, FIRST_USER + MEMBERS - 300)))

    assert early_rows == late_rows == 100
    # Walking from the start of the guild to the last key would take ~MEMBERS rows' worth of steps.
    assert late_steps <= 2 * early_steps + 1
