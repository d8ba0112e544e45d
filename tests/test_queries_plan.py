"""Key lookups and pages use an index: SQLite's own plan and work counts for the SQL the server builds.

The SQL is the server's (``reads.plan(...).page_sql(...)``), run on the server's database file
through a read-only connection of Python's ``sqlite3``.
"""

from __future__ import annotations

import contextlib
import itertools
import pathlib
import re
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


def _query(query_type: type[message.Message], names: tuple[str, ...], values: dict[str, object]) -> message.Message:
    """Return a query of ``query_type`` setting the fields ``names`` to ``values`` (a stand-in for the others)."""
    query = query_type()
    for name in names:
        field = query.DESCRIPTOR.fields_by_name[name]
        if field.message_type is not None:
            getattr(query, name).seconds = 60
        else:
            stand_in = {
                field.TYPE_STRING: "no such text",
                field.TYPE_BOOL: True,
                field.TYPE_ENUM: 1,
            }.get(field.type, 5)
            setattr(query, name, values.get(name, stand_in))
    return query


def _subsets(query_type: type[message.Message], most: int) -> list[tuple[str, ...]]:
    names = [field.name for field in query_type.DESCRIPTOR.fields]
    return [subset for size in range(1, most + 1) for subset in itertools.combinations(names, size)]


MEMBER_VALUES: dict[str, object] = {"guild_id": GUILD, "id": FIRST_USER + 8, "role_id": ROLE, "guild_flags": 1 << 40}
"""Index fields match stored members; every other filter matches none, so a scan reads its whole range."""


@pytest.mark.usefixtures("stored")
async def test_a_member_query_is_a_scan_exactly_when_its_page_reads_more_rows_than_it_may_return(
    server: server_app.Server,
) -> None:
    """Every combination of member filters: a page of at most 100 rows reads about 100 rows, or a scan's thousands."""
    costs = {}
    for names in _subsets(queries_pb2.MemberQuery, 7):
        query = _query(queries_pb2.MemberQuery, names, MEMBER_VALUES)
        _, steps = _vm_steps(server.config.database, *_page_sql(reads.MEMBERS, query, None))
        costs[names] = (reads.plan(reads.MEMBERS, query).shape.scans, steps)

    # 100 rows take ~10 units of 100 VM steps; a scan reads 1,500 (one role's holders) to 3,050 rows.
    assert {names: cost for names, cost in costs.items() if cost[0] != (cost[1] > 40)} == {}


def _index_conditions(plan: list[str]) -> set[str]:
    """Return the columns the steps of a plan search an index by (``guild_id=?`` gives ``guild_id``)."""
    found = set()
    for step in plan:
        if step.startswith("SEARCH") and "(" in step:
            found |= set(re.findall(r"(\w+)=\?", step.rsplit("(", 1)[1]))
    return found


@pytest.mark.parametrize(
    ("table", "query_type", "most"),
    [
        (reads.GUILDS, queries_pb2.GuildQuery, 2),
        (reads.CHANNELS, queries_pb2.ChannelQuery, 7),
        (reads.ROLES, queries_pb2.RoleQuery, 3),
    ],
    ids=["guilds", "channels", "roles"],
)
async def test_a_query_is_a_scan_exactly_when_some_filter_is_not_an_index_condition(
    server: server_app.Server, table: reads.Table, query_type: type[message.Message], most: int
) -> None:
    """SQLite's own plan: a query that is no scan searches one index by every filter it sets, or by the key."""
    wrong = {}
    for names in _subsets(query_type, most):
        query = _query(query_type, names, {})
        shape = reads.plan(table, query).shape
        plan = _explain(server.config.database, *_page_sql(table, query, None))
        conditions = _index_conditions(plan)
        served = shape.unique or (not any(step.startswith("SCAN") for step in plan) and set(names) <= conditions)
        if served == shape.scans:
            wrong[names] = plan
    assert wrong == {}
