"""Reads stream in batches, in a stable key order, complete, and stop with their consumer.

Server-side work is observed by counting the statements the server's store runs (its ``fetch``,
wrapped in place on the running server), never by timing.
"""

from __future__ import annotations

import asyncio
import collections.abc
import random
import typing

import grpc
import hikari
import payloads
import pytest
import querydata
import storework

from hikari_kura.client import ChannelQuery, GrpcBackend, GuildQuery, MemberQuery, RoleQuery
from hikari_kura.client.convert import channels as channels_convert
from hikari_kura.client.convert import guilds as guilds_convert
from hikari_kura.client.convert import members as members_convert
from hikari_kura.client.convert import roles as roles_convert
from hikari_kura.server import app as server_app
from hikari_kura.server import reads
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

GUILD = payloads.GUILD_ID
OTHER_GUILD = querydata.GUILD_B
ROLE = payloads.ROLE_ADMIN_ID
FIRST_USER = 1_000_000_000_000_000_000


@pytest.fixture
async def data(backend: GrpcBackend, app: hikari.GatewayBot) -> querydata.Dataset:
    """Write the varied dataset of ``querydata`` and return what was written."""
    dataset = querydata.build(app)
    await querydata.write(backend, dataset)
    return dataset


def _members(
    app: hikari.GatewayBot, guild_id: int, users: collections.abc.Iterable[int], *, role_every: int = 0
) -> list[hikari.Member]:
    """Return members of ``guild_id``; with ``role_every=n``, every n-th user (by id) also holds ROLE."""
    return [
        payloads.member(
            app,
            payloads.member_payload(
                user, roles=[str(ROLE)] if role_every and (user - FIRST_USER) % role_every == 0 else []
            ),
            guild_id=guild_id,
        )
        for user in users
    ]


def _shuffled(items: list[hikari.Member]) -> list[hikari.Member]:
    result = list(items)
    random.Random(7).shuffle(result)
    return result


# -- order ---------------------------------------------------------------------------------------


async def test_every_read_is_in_key_order_and_the_same_on_every_run(
    backend: GrpcBackend, data: querydata.Dataset
) -> None:
    for query in (ChannelQuery(), GuildQuery(), MemberQuery(), RoleQuery(), MemberQuery(role_id=GUILD)):
        first = await querydata.read_keys(backend, query)
        second = await querydata.read_keys(backend, query)
        assert len(first) > 1
        assert first == sorted(first)
        assert second == first


async def test_members_are_ordered_by_guild_then_user_whatever_the_write_order(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    users = [FIRST_USER + n for n in range(40)]
    # The same users in two guilds: a user-id order alone would interleave the guilds.
    members = _shuffled([*_members(app, OTHER_GUILD, users), *_members(app, GUILD, users[::2])])
    await (await backend.bulk_members(members, confirm=True))

    found = [querydata.member_key(m) async for m in backend.iter_members()]

    assert found == [(GUILD, user) for user in users[::2]] + [(OTHER_GUILD, user) for user in users]


# -- batches -------------------------------------------------------------------------------------


async def test_a_guild_larger_than_a_batch_streams_complete_in_order_without_duplicates(
    backend: GrpcBackend, app: hikari.GatewayBot, stub: cache_service_pb2_grpc.CacheServiceStub
) -> None:
    big = [FIRST_USER + n for n in range(2_500)]
    small = big[::10]
    members = _shuffled([*_members(app, GUILD, big, role_every=2), *_members(app, OTHER_GUILD, small, role_every=2)])
    await (await backend.bulk_members(members, confirm=True))
    in_guild = [(GUILD, user) for user in big]
    holders = sorted(querydata.member_key(m) for m in members if ROLE in m.role_ids)
    assert len(holders) > reads.DEFAULT_BATCH

    assert [querydata.member_key(m) async for m in backend.iter_members(MemberQuery(guild_id=GUILD))] == in_guild
    assert [querydata.member_key(m) async for m in backend.iter_members(MemberQuery(role_id=ROLE))] == holders
    everyone = [querydata.member_key(m) async for m in backend.iter_members()]
    assert everyone == sorted(querydata.member_key(m) for m in members)
    # The server sent them in batches of its default size.
    request = pb.IterMembersRequest(query=members_convert.member_query_to_proto(MemberQuery(guild_id=GUILD)))
    sizes = [len(response.members) async for response in stub.IterMembers(request)]
    assert sizes == [1000, 1000, 500]


def _raw_key(message: typing.Any) -> object:
    if hasattr(message, "user"):
        return (message.guild_id, message.user.id)
    return message.id


async def _raw_batches(
    stub: cache_service_pb2_grpc.CacheServiceStub, query: querydata.Query, *, batch_size: int = 0, limit: int = 0
) -> list[list[object]]:
    """Read a query through the raw stub; return the keys of each response."""
    call: typing.Any
    if isinstance(query, ChannelQuery):
        call = stub.IterChannels(
            pb.IterChannelsRequest(
                query=channels_convert.channel_query_to_proto(query), batch_size=batch_size, limit=limit
            )
        )
        return [[_raw_key(c) for c in response.channels] async for response in call]
    if isinstance(query, GuildQuery):
        call = stub.IterGuilds(
            pb.IterGuildsRequest(query=guilds_convert.guild_query_to_proto(query), batch_size=batch_size, limit=limit)
        )
        return [[_raw_key(g) for g in response.guilds] async for response in call]
    if isinstance(query, MemberQuery):
        call = stub.IterMembers(
            pb.IterMembersRequest(
                query=members_convert.member_query_to_proto(query), batch_size=batch_size, limit=limit
            )
        )
        return [[_raw_key(m) for m in response.members] async for response in call]
    call = stub.IterRoles(
        pb.IterRolesRequest(query=roles_convert.role_query_to_proto(query), batch_size=batch_size, limit=limit)
    )
    return [[_raw_key(r) for r in response.roles] async for response in call]


SMALL_BATCH_QUERIES: list[querydata.Query] = [
    ChannelQuery(),
    ChannelQuery(guild_id=GUILD),
    GuildQuery(),
    MemberQuery(),
    MemberQuery(guild_id=GUILD),
    MemberQuery(role_id=GUILD),
    MemberQuery(guild_id=GUILD, role_id=GUILD),
    MemberQuery(nickname="Nickname"),
    RoleQuery(),
    RoleQuery(guild_id=OTHER_GUILD),
]


@pytest.mark.parametrize("batch_size", [1, 2, 3])
@pytest.mark.parametrize("query", SMALL_BATCH_QUERIES, ids=querydata.describe)
async def test_small_batches_carry_every_match_once_in_order(
    stub: cache_service_pb2_grpc.CacheServiceStub, data: querydata.Dataset, query: querydata.Query, batch_size: int
) -> None:
    expected = querydata.expected_keys(data, query)
    assert len(expected) > batch_size

    batches = await _raw_batches(stub, query, batch_size=batch_size)

    assert all(0 < len(batch) <= batch_size for batch in batches)
    assert [key for batch in batches for key in batch] == expected


@pytest.mark.parametrize(
    "query",
    [
        ChannelQuery(id=payloads.TEXT_ID),
        GuildQuery(id=GUILD),
        MemberQuery(guild_id=OTHER_GUILD, id=payloads.OWNER_ID),
        MemberQuery(guild_id=GUILD, id=payloads.OWNER_ID, role_id=ROLE),
        RoleQuery(id=ROLE),
    ],
    ids=querydata.describe,
)
async def test_a_key_lookup_in_batches_of_one_yields_its_object_once(
    stub: cache_service_pb2_grpc.CacheServiceStub, data: querydata.Dataset, query: querydata.Query
) -> None:
    expected = querydata.expected_keys(data, query)
    assert len(expected) == 1

    assert await _raw_batches(stub, query, batch_size=1) == [expected]


@pytest.mark.sqlite_only  # PostgreSQL runs point gets on its pool, as every read
async def test_a_key_lookup_answers_while_a_scan_waits_for_its_page(
    server: server_app.Server, backend: GrpcBackend, data: querydata.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = storework.HeldFetch(server, monkeypatch, free=0)
    scan = asyncio.get_running_loop().create_task(querydata.read_keys(backend, MemberQuery(guild_id=GUILD)))
    try:
        await asyncio.wait_for(held.holding.wait(), timeout=60)  # the scan's first page statement is held
        query = MemberQuery(guild_id=GUILD, id=payloads.OWNER_ID)
        # A point get runs no page statement: it is answered while the scan's page is held.
        found = await asyncio.wait_for(querydata.read_keys(backend, query), timeout=60)
        assert found == querydata.expected_keys(data, query) == [(GUILD, payloads.OWNER_ID)]
        assert held.calls == 1
        assert not scan.done()
    finally:
        scan.cancel()
    await asyncio.wait_for(held.held_and_cancelled.wait(), timeout=60)


@pytest.mark.parametrize(
    ("limit", "batch_size"), [(1, 0), (5, 0), (5, 2), (7, 3), (4, 4), (10_000, 0), (10_000, 3), (0, 2)]
)
@pytest.mark.parametrize(
    "query", [ChannelQuery(), MemberQuery(), MemberQuery(role_id=GUILD), RoleQuery()], ids=querydata.describe
)
async def test_limit_returns_the_first_matches_in_order(
    stub: cache_service_pb2_grpc.CacheServiceStub,
    data: querydata.Dataset,
    query: querydata.Query,
    limit: int,
    batch_size: int,
) -> None:
    expected = querydata.expected_keys(data, query)
    assert len(expected) > 5

    batches = await _raw_batches(stub, query, batch_size=batch_size, limit=limit)

    assert [key for batch in batches for key in batch] == expected[: limit or None]
    if batch_size:
        assert all(len(batch) <= batch_size for batch in batches)


@pytest.mark.parametrize(("batch_size", "limit", "field"), [(-1, 0, "batch_size"), (0, -1, "limit")])
async def test_negative_batch_size_or_limit_is_refused_naming_it(
    stub: cache_service_pb2_grpc.CacheServiceStub, batch_size: int, limit: int, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _raw_batches(stub, MemberQuery(), batch_size=batch_size, limit=limit)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (raised.value.details() or "")


async def test_reading_to_the_end_pages_through_every_batch(
    server: server_app.Server,
    backend: GrpcBackend,
    app: hikari.GatewayBot,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await (await backend.bulk_members(_members(app, GUILD, range(FIRST_USER, FIRST_USER + 1_050)), confirm=True))
    counter = storework.FetchCounter(server, monkeypatch)

    batches = await _raw_batches(stub, MemberQuery(guild_id=GUILD), batch_size=100)

    assert [len(batch) for batch in batches] == [100] * 10 + [50]
    # One statement per batch, each asking for one batch: the last, short page ends the read.
    assert counter.limits == [100] * 11


# -- stopping early ------------------------------------------------------------------------------

LARGE_GUILD = 20_000
PAGE = 100


async def _write_large_guild(target: str, app: hikari.GatewayBot) -> None:
    client = GrpcBackend(target, app=app)
    await client.connect()
    try:
        await (
            await client.bulk_members(_members(app, GUILD, range(FIRST_USER, FIRST_USER + LARGE_GUILD)), confirm=True)
        )
    finally:
        await client.disconnect()


@pytest.mark.slow
async def test_cancelling_a_stream_after_its_first_batch_leaves_the_other_pages_unread(
    server: server_app.Server, target: str, app: hikari.GatewayBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _write_large_guild(target, app)
    counter = storework.FetchCounter(server, monkeypatch)
    request = pb.IterMembersRequest(
        query=members_convert.member_query_to_proto(MemberQuery(guild_id=GUILD)), batch_size=PAGE
    )
    # Without BDP probing the stream's flow-control window stays small, so a server that pages
    # lazily gets at most a few pages ahead of a reader that stopped reading.
    async with grpc.aio.insecure_channel(target, options=[("grpc.http2.bdp_probe", 0)]) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)  # type: ignore[no-untyped-call]  # generated, untyped
        call = stub.IterMembers(request)
        first = await call.read()
        call.cancel()
    # Stopping the server waits for every call it is serving, so nothing can fetch after this.
    await server.stop()

    assert [member.user.id for member in first.members] == list(range(FIRST_USER, FIRST_USER + PAGE))
    assert counter.limits, "the store's statements were not observed"
    assert all(limit <= PAGE for limit in counter.limits)
    assert counter.calls <= LARGE_GUILD // PAGE // 10


@pytest.mark.slow
async def test_breaking_out_of_iter_members_cancels_the_servers_next_page(
    server: server_app.Server, backend: GrpcBackend, app: hikari.GatewayBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await backend.bulk_members(_members(app, GUILD, range(FIRST_USER, FIRST_USER + LARGE_GUILD)), confirm=True))
    held = storework.HeldFetch(server, monkeypatch, free=1)

    async def first_member() -> hikari.Member | None:
        async for member in backend.iter_members(MemberQuery(guild_id=GUILD)):
            return member  # leaves the loop as a break does
        return None

    # The timeouts only turn a hang into a failure: a server that reads ahead never sends a first batch.
    first = await asyncio.wait_for(first_member(), timeout=60)

    assert first is not None
    assert querydata.member_key(first) == (GUILD, FIRST_USER)
    # The server's statement for the second page is held until the call it serves is cancelled:
    # this completes only if the break reached the server and stopped its work there.
    await asyncio.wait_for(held.held_and_cancelled.wait(), timeout=60)
    assert held.calls == 2
    # The server still serves reads afterwards, and the consumer's break left nothing running.
    # (By user id alone, not guild + id: a point get is a lookup, not a page statement.)
    assert [querydata.member_key(m) async for m in backend.iter_members(MemberQuery(id=FIRST_USER))] == [
        (GUILD, FIRST_USER)
    ]
    assert held.calls == 3
