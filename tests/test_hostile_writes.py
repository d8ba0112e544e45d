"""Writes that would hurt the server, against real servers: floods it cannot answer, upserts over the size
limits, objects carrying fields the contract does not know (issue 13, items 3 and 4).

Memory is measured on ``kura serve`` processes, from /proc, before and after, with generous bounds
(what these tests catch is growth by gigabytes, not megabytes); nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import collections.abc
import pathlib
import typing

import cachestate
import grpc
import hikari
import payloads
import pytest
import serverproc
from conftest import StartServer

from hikari_kura.client import GrpcBackend, MemberQuery
from hikari_kura.server import rows, sqlite_engine, write_session, writer, writes
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, channels_pb2, guilds_pb2, members_pb2, queries_pb2, roles_pb2

GUILD = 93 << 22
MIB = 1024 * 1024
WAIT_SECONDS = 120.0
"""The most a test waits for a server to take or answer what it was sent; it normally takes far less."""


def _objects(kind: str, count: int, first: int = 1) -> list[typing.Any]:
    """Return ``count`` valid objects of a kind with ids from ``first`` on."""
    ids = range(first, first + count)
    if kind == "guilds":
        return [guilds_pb2.Guild(id=GUILD + i, name="g") for i in ids]
    if kind == "channels":
        return [channels_pb2.GuildChannel(id=i, guild_id=GUILD, name="c", text=channels_pb2.TextChannel()) for i in ids]
    if kind == "members":
        return [members_pb2.Member(guild_id=GUILD, user=members_pb2.User(id=i)) for i in ids]
    return [roles_pb2.Role(id=i, guild_id=GUILD, name="r") for i in ids]


def _upsert(kind: str, objects: list[typing.Any]) -> typing.Any:
    """Return the upsert request of a kind holding ``objects``."""
    request = {
        "guilds": pb.UpsertGuildsRequest,
        "channels": pb.UpsertChannelsRequest,
        "members": pb.UpsertMembersRequest,
        "roles": pb.UpsertRolesRequest,
    }[kind]
    return request(**{kind: objects})


def _op(seq: int, kind: str, objects: list[typing.Any], *, partial: bool = False) -> pb.WriteOp:
    return pb.WriteOp(seq=seq, partial=partial, **{f"upsert_{kind}": _upsert(kind, objects)})


def _unary(stub: cache_service_pb2_grpc.CacheServiceStub, kind: str) -> typing.Any:
    return getattr(stub, f"Upsert{kind.capitalize()}")


class Session(typing.NamedTuple):
    """What a Write stream reported: each failure by seq, the last commit, and how it ended."""

    failures: dict[int, tuple[int, str]]
    committed_through: int
    code: grpc.StatusCode


async def _session(stub: cache_service_pb2_grpc.CacheServiceStub, messages: list[pb.WriteRequest]) -> Session:
    """Send the messages on one Write stream, half-close, and return what it reported."""

    async def requests() -> collections.abc.AsyncIterator[pb.WriteRequest]:
        for message in messages:
            yield message

    call = stub.Write(requests())
    failures: dict[int, tuple[int, str]] = {}
    committed = 0
    async for event in call:
        if event.WhichOneof("event") == "failure":
            failures[event.failure.seq] = (event.failure.code, event.failure.message)
        elif event.WhichOneof("event") == "committed_through":
            committed = event.committed_through
    return Session(failures, committed, await call.code())


def _refused(code: grpc.StatusCode, message: str) -> tuple[int, str]:
    return code.value[0], message


ITEMS_REFUSAL = "a bulk write holds at most 3 objects (--max-bulk-items)"
KINDS = ("guilds", "channels", "members", "roles")


# -- the item cap on every upsert path ---------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_a_unary_upsert_over_the_item_cap_is_refused_naming_the_limit_and_changes_nothing(
    start_server: StartServer, database: pathlib.Path | str, kind: str
) -> None:
    server = await start_server(database=database, max_bulk_items=3)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        await _unary(stub, kind)(_upsert(kind, _objects(kind, 3)))  # at the cap: taken
        before = await cachestate.picture(database, stub)

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await _unary(stub, kind)(_upsert(kind, _objects(kind, 4, first=10)))

        after = await cachestate.picture(database, stub)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.details() == ITEMS_REFUSAL
    assert len(before.served[kind]) == 3
    assert after == before


async def test_a_write_op_over_the_item_cap_is_refused_alone_and_the_stream_goes_on(
    start_server: StartServer, database: pathlib.Path | str
) -> None:
    server = await start_server(database=database, max_bulk_items=3)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        session = await _session(
            stub,
            [
                pb.WriteRequest(
                    ops=[
                        _op(1, "roles", _objects("roles", 1)),
                        _op(2, "members", _objects("members", 4)),
                        _op(3, "roles", _objects("roles", 3, first=5)),
                    ]
                ),
                pb.WriteRequest(ops=[_op(4, "members", _objects("members", 5, first=20))]),
                pb.WriteRequest(ops=[_op(5, "members", _objects("members", 2, first=30))]),
            ],
        )
        stored = await cachestate.served(stub)

    assert session.code == grpc.StatusCode.OK
    assert session.failures == {
        2: _refused(grpc.StatusCode.RESOURCE_EXHAUSTED, ITEMS_REFUSAL),
        4: _refused(grpc.StatusCode.RESOURCE_EXHAUSTED, ITEMS_REFUSAL),
    }
    assert session.committed_through == 5
    assert sorted(roles_pb2.Role.FromString(data).id for data in stored["roles"]) == [1, 5, 6, 7]
    assert sorted(members_pb2.Member.FromString(data).user.id for data in stored["members"]) == [30, 31]


async def test_a_chunk_over_the_item_cap_refuses_its_whole_bulk_and_skips_the_later_chunks(
    start_server: StartServer, database: pathlib.Path | str
) -> None:
    server = await start_server(database=database, max_bulk_items=3)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        session = await _session(
            stub,
            [
                pb.WriteRequest(ops=[_op(1, "members", _objects("members", 1), partial=True)]),
                pb.WriteRequest(ops=[_op(1, "members", _objects("members", 4, first=2), partial=True)]),
                pb.WriteRequest(ops=[_op(1, "members", _objects("members", 1, first=6))]),
                pb.WriteRequest(ops=[_op(2, "roles", _objects("roles", 1))]),
            ],
        )
        stored = await cachestate.served(stub)

    assert session.failures == {1: _refused(grpc.StatusCode.RESOURCE_EXHAUSTED, ITEMS_REFUSAL)}
    assert session.committed_through == 2
    assert stored["members"] == []
    assert len(stored["roles"]) == 1


async def test_a_bulk_over_the_byte_cap_is_refused_on_every_path_and_changes_nothing(
    start_server: StartServer, database: pathlib.Path | str
) -> None:
    server = await start_server(database=database, max_bulk_bytes=4000)
    refusal = "a bulk write holds at most 4000 bytes of objects (--max-bulk-bytes)"
    big = [roles_pb2.Role(id=i, guild_id=GUILD, name="n" * 1000) for i in range(1, 6)]  # 5 KB in all
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as unary:
            await stub.UpsertRoles(pb.UpsertRolesRequest(roles=big))
        session = await _session(
            stub,
            [
                pb.WriteRequest(ops=[pb.WriteOp(seq=1, upsert_roles=pb.UpsertRolesRequest(roles=big))]),
                *(
                    pb.WriteRequest(
                        ops=[pb.WriteOp(seq=2, partial=i < 4, upsert_roles=pb.UpsertRolesRequest(roles=[big[i]]))]
                    )
                    for i in range(5)
                ),
                pb.WriteRequest(ops=[pb.WriteOp(seq=3, upsert_roles=pb.UpsertRolesRequest(roles=big[:3]))]),
            ],
        )
        stored = await cachestate.served(stub)

    assert (unary.value.code(), unary.value.details()) == (grpc.StatusCode.RESOURCE_EXHAUSTED, refusal)
    assert session.failures == {
        1: _refused(grpc.StatusCode.RESOURCE_EXHAUSTED, refusal),
        2: _refused(grpc.StatusCode.RESOURCE_EXHAUSTED, refusal),
    }
    assert session.committed_through == 3
    assert sorted(roles_pb2.Role.FromString(data).id for data in stored["roles"]) == [1, 2, 3]


# -- memory of one request, measured on kura serve ---------------------------------------------


def _minimal_members(count: int) -> bytes:
    """Return ``count`` minimal members (17 bytes each) as the encoded repeated field of an upsert request."""
    one = pb.UpsertMembersRequest(members=[members_pb2.Member(guild_id=GUILD, user=members_pb2.User(id=1))])
    return one.SerializeToString() * count


def _large_messages() -> list[tuple[str, int]]:
    return [("grpc.max_send_message_length", 64 * MIB), ("grpc.max_receive_message_length", 64 * MIB)]


@pytest.fixture
async def kura_serve(tmp_path: pathlib.Path) -> collections.abc.AsyncIterator[tuple[serverproc.ServerProcess, str]]:
    """Run ``kura serve`` (default limits) as a process of its own; stop it after the test."""
    port = serverproc.free_port()
    process = await serverproc.start(tmp_path / "kura.sqlite3", port, log=tmp_path / "kura.log")
    try:
        yield process, f"127.0.0.1:{port}"
    finally:
        assert await serverproc.stop(process) == 0


async def _stored_members(stub: cache_service_pb2_grpc.CacheServiceStub) -> int:
    return (await stub.GetStats(pb.GetStatsRequest())).members


@pytest.mark.slow
async def test_a_unary_upsert_of_millions_of_members_is_refused_without_decoding_them(
    kura_serve: tuple[serverproc.ServerProcess, str],
) -> None:
    process, target = kura_serve
    data = _minimal_members(3_800_000)  # 62 MiB: under the message limit, over the default item cap
    before = serverproc.memory(process.pid)
    async with grpc.aio.insecure_channel(target, options=_large_messages()) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        raw = channel.unary_unary(
            "/hikari_kura.v1.CacheService/UpsertMembers",
            request_serializer=None,
            response_deserializer=pb.UpsertMembersResponse.FromString,
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await raw(data)
        stored = await _stored_members(stub)
    after = serverproc.memory(process.pid)

    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.details() == "a bulk write holds at most 2000000 objects (--max-bulk-items)"
    assert stored == 0
    # Decoded, 3.8M members take about 1 GB, stored 3.5 GB; the message itself is held twice by gRPC.
    assert after.peak - before.resident < 500 * MIB
    assert after.resident - before.resident < 300 * MIB


@pytest.mark.slow
async def test_a_write_op_of_millions_of_members_is_refused_alone_without_decoding_them(
    kura_serve: tuple[serverproc.ServerProcess, str],
) -> None:
    process, target = kura_serve
    members = _minimal_members(3_700_000)  # 60 MiB
    # WriteOp.upsert_members is field 14, length-delimited (tag 0x72); WriteRequest.ops is field 1 (0x0a).
    op = pb.WriteOp(seq=1).SerializeToString() + b"\x72" + _varint(len(members)) + members
    first = b"\x0a" + _varint(len(op)) + op
    second = pb.WriteRequest(ops=[_op(2, "members", _objects("members", 2))]).SerializeToString()
    before = serverproc.memory(process.pid)
    async with grpc.aio.insecure_channel(target, options=_large_messages()) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        call = channel.stream_stream(
            "/hikari_kura.v1.CacheService/Write",
            request_serializer=None,
            response_deserializer=pb.WriteResponse.FromString,
        )(iter([first, second]))
        events = [event async for event in call]
        stored = await _stored_members(stub)
    after = serverproc.memory(process.pid)

    outcomes = [event.WhichOneof("event") for event in events]
    assert outcomes[0] == "session_opened"
    assert events[1].failure.seq == 1
    assert events[1].failure.message == "a bulk write holds at most 2000000 objects (--max-bulk-items)"
    assert events[-1].committed_through == 2
    assert stored == 2
    assert after.peak - before.resident < 500 * MIB
    assert after.resident - before.resident < 300 * MIB


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# -- backpressure on the write stream ----------------------------------------------------------

FLOOD_MESSAGES = 200
FLOOD_OPS_PER_MESSAGE = 10_000


@pytest.mark.slow
async def test_a_write_stream_whose_answers_are_never_read_is_not_read_further_and_memory_stays_bounded(
    kura_serve: tuple[serverproc.ServerProcess, str],
) -> None:
    process, target = kura_serve
    refused = pb.DeleteRoleRequest(role_id=0)  # refused at once: every op gets a failure to send back
    messages = [
        pb.WriteRequest(ops=[pb.WriteOp(seq=first + n, delete_role=refused) for n in range(FLOOD_OPS_PER_MESSAGE)])
        for first in range(1, FLOOD_MESSAGES * FLOOD_OPS_PER_MESSAGE, FLOOD_OPS_PER_MESSAGE)
    ]
    sent = 0

    async def requests() -> collections.abc.AsyncIterator[pb.WriteRequest]:
        nonlocal sent
        for message in messages:
            yield message
            sent += 1

    before = serverproc.memory(process.pid)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        call = stub.Write(requests())
        assert (await call.read()).WhichOneof("event") == "session_opened"  # and nothing read after it
        # Wait until everything is sent or sending stalls: the server stopped reading.
        loop = asyncio.get_running_loop()
        give_up = loop.time() + WAIT_SECONDS
        seen = -1
        while sent < FLOOD_MESSAGES and sent != seen and loop.time() < give_up:
            seen = sent
            await asyncio.sleep(3.0)
        during = serverproc.memory(process.pid)
        stats = await stub.GetStats(pb.GetStatsRequest(), timeout=WAIT_SECONDS)  # the server still serves
        call.cancel()
    after = serverproc.memory(process.pid)

    # 2M failures waiting to be sent took 1.2 GiB; the session holds a window of 64 MiB of weight.
    assert during.resident - before.resident < 250 * MIB, f"{sent} of {FLOOD_MESSAGES} messages sent"
    assert after.peak - before.resident < 300 * MIB
    assert sent < FLOOD_MESSAGES
    assert (stats.roles, stats.members) == (0, 0)


@pytest.mark.slow
async def test_a_client_pipelining_200k_unconfirmed_writes_through_a_small_window_gets_every_one_stored(
    start_server: StartServer, app: hikari.GatewayBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = 256 * 1024
    server = await start_server(max_message_bytes=window)  # SQLite: backpressure is the same over either engine
    held: list[int] = []
    take = write_session.WriteSession._take

    def counted(self: write_session.WriteSession, weight: int) -> None:
        take(self, weight)
        held.append(self.unanswered_bytes)

    monkeypatch.setattr(write_session.WriteSession, "_take", counted)
    versions = [
        [
            payloads.member(app, payloads.member_payload(user_id, nick=f"v{version}"), guild_id=payloads.GUILD_ID)
            for user_id in range(1, 1001)
        ]
        for version in range(2)
    ]
    backend = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
    await backend.connect()
    try:
        for round_ in range(200):
            for member in versions[round_ % 2]:
                await backend.member_update(member, confirm=False)
        await asyncio.wait_for(backend.flush(), WAIT_SECONDS)
        stored = {m.id: m.nickname async for m in backend.iter_members(MemberQuery(guild_id=payloads.GUILD_ID))}
        failed = backend.failed_writes
    finally:
        await backend.disconnect()

    assert failed == 0
    assert stored == {hikari.Snowflake(user_id): "v1" for user_id in range(1, 1001)}
    # The window was reached (the session paused reading) and never overrun by more than one write.
    assert max(held) >= window
    assert max(held) < window + 4 * 1024


async def test_a_chunked_bulk_larger_than_the_window_still_completes(
    start_server: StartServer, database: pathlib.Path | str, app: hikari.GatewayBot
) -> None:
    server = await start_server(database=database, max_message_bytes=64 * 1024)
    members = [
        payloads.member(app, payloads.member_payload(user_id, nick="n" * 30), guild_id=payloads.GUILD_ID)
        for user_id in range(1, 5001)
    ]
    backend = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
    await backend.connect()
    try:
        # About 600 KB: ten times the window, sent in chunks the session must all read to store any.
        await asyncio.wait_for(await backend.bulk_members(members, confirm=True), WAIT_SECONDS)
        stored = await cachestate.member_ids(backend, payloads.GUILD_ID)
    finally:
        await backend.disconnect()

    assert stored == set(range(1, 5001))


# -- grouping: a large write does not hold back those queued before it ---------------------------


async def test_a_large_upsert_commits_in_a_transaction_of_its_own_after_the_writes_queued_before_it(
    tmp_path: pathlib.Path,
) -> None:
    db = await sqlite_engine.SqliteEngine.open(tmp_path / "kura.sqlite3")
    queue = writer.Writer(db, max_group_rows=100)
    queue.start()

    def members(first: int, count: int) -> writes.Upsert:
        protos = _objects("members", count, first)
        return writes.Upsert("members", [rows.member_row(m, None) for m in protos], [[] for _ in protos])

    done: list[str] = []
    try:
        futures = {
            "before": await queue.submit(members(1, 1)),
            "large": await queue.submit(members(10, 150)),
            "after": await queue.submit(members(500, 1)),
        }
        for name, future in futures.items():
            future.add_done_callback(lambda _, name=name: done.append(name))
        await asyncio.gather(*futures.values())
    finally:
        await queue.close()
        await db.close()

    assert done == ["before", "large", "after"]
    assert queue.transactions == 3


# -- unknown fields ---------------------------------------------------------------------------

BLOB = b"\xaa" * (256 * 1024)


def _with_unknown_field(data: bytes) -> bytes:
    """Append field 1000 (not in any Kura message), length-delimited, holding ``BLOB``."""
    return data + _varint(1000 << 3 | 2) + _varint(len(BLOB)) + BLOB


def _guild_with_unknown_fields() -> tuple[guilds_pb2.Guild, guilds_pb2.Guild]:
    clean = guilds_pb2.Guild(id=GUILD, name="g", features=["COMMUNITY"])
    return guilds_pb2.Guild.FromString(_with_unknown_field(clean.SerializeToString())), clean


def _member_with_unknown_fields() -> tuple[members_pb2.Member, members_pb2.Member]:
    """Return a member whose nested user carries the unknown field (DiscardUnknownFields must recurse)."""
    clean = members_pb2.Member(guild_id=GUILD, user=members_pb2.User(id=7, username="u"), nickname="n")
    user = members_pb2.User.FromString(_with_unknown_field(clean.user.SerializeToString()))
    member = members_pb2.Member(guild_id=GUILD, nickname="n")
    member.user.CopyFrom(user)
    return member, clean


@pytest.mark.parametrize("path", ["unary", "write", "bulk"])
async def test_fields_the_contract_does_not_know_are_dropped_before_storing(
    stub: cache_service_pb2_grpc.CacheServiceStub, database: pathlib.Path | str, path: str
) -> None:
    guild, clean_guild = _guild_with_unknown_fields()
    member, clean_member = _member_with_unknown_fields()
    assert guild.ByteSize() > len(BLOB) and member.ByteSize() > len(BLOB)  # they do carry the blob
    if path == "unary":
        await stub.UpsertGuilds(pb.UpsertGuildsRequest(guilds=[guild]))
        await stub.UpsertMembers(pb.UpsertMembersRequest(members=[member]))
    else:
        partial = path == "bulk"
        ops = [
            pb.WriteOp(seq=1, partial=partial, upsert_guilds=pb.UpsertGuildsRequest(guilds=[guild])),
            pb.WriteOp(seq=2, partial=partial, upsert_members=pb.UpsertMembersRequest(members=[member])),
        ]
        if partial:  # each a bulk of two chunks, the unknown fields in the first
            ops = [
                ops[0],
                pb.WriteOp(seq=1, upsert_guilds=pb.UpsertGuildsRequest(guilds=[guilds_pb2.Guild(id=GUILD + 1)])),
                ops[1],
                pb.WriteOp(seq=2, upsert_members=pb.UpsertMembersRequest(members=[_objects("members", 1, 9)[0]])),
            ]
        session = await _session(stub, [pb.WriteRequest(ops=ops)])
        assert (session.failures, session.committed_through) == ({}, 2)

    served_guilds = [g async for batch in stub.IterGuilds(pb.IterGuildsRequest()) for g in batch.guilds]
    query = pb.IterMembersRequest(query=queries_pb2.MemberQuery(guild_id=GUILD, id=7))
    served_members = [m async for batch in stub.IterMembers(query) for m in batch.members]
    stored = await cachestate.stored_rows(database)

    assert [g.SerializeToString() for g in served_guilds if g.id == GUILD] == [clean_guild.SerializeToString()]
    assert [m.SerializeToString() for m in served_members] == [clean_member.SerializeToString()]
    assert not [value for table in stored.values() for row in table for value in row if _holds_blob(value)]


def _holds_blob(value: object) -> bool:
    return isinstance(value, bytes) and BLOB[:64] in value
