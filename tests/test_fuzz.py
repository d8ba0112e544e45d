"""Fuzz every RPC with Hypothesis, and check random operation sequences against a model of the cache.

Properties, on a real server over a real SQLite file:
- random bytes as the request of any RPC, and well-typed requests full of wrong values, get an
  answer: OK or a status that names the caller's mistake, never INTERNAL or UNKNOWN (a server
  bug), and the server still answers afterwards;
- a refused request changes nothing (stored rows and served messages compared before and after);
- after any sequence of writes, the server holds exactly what a dict-based model of the cache does.

CI runs a fixed (derandomized) set of examples; ``KURA_FUZZ_EXAMPLES=2000 .venv/bin/pytest
tests/test_fuzz.py`` runs that many fresh random examples per test instead.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import os
import pathlib
import re
import typing

import cachestate
import grpc
import hikari
import hypothesis
import pytest
from google.protobuf import descriptor, message, message_factory
from hypothesis import strategies as st

from hikari_kura.server import app as server_app
from hikari_kura.server import service
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, channels_pb2, guilds_pb2, members_pb2, queries_pb2, roles_pb2

_LONG_RUN = os.environ.get("KURA_FUZZ_EXAMPLES")
FUZZ = hypothesis.settings(
    max_examples=int(_LONG_RUN) if _LONG_RUN else 300,
    derandomize=not _LONG_RUN,
    database=None,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
CALL_TIMEOUT = 60.0
"""Seconds one call may take before it counts as a hang (a guard, not a timing assertion)."""
CALLERS_MISTAKES = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
}
METHODS = tuple(pb.DESCRIPTOR.services_by_name["CacheService"].methods)


@dataclasses.dataclass(frozen=True, slots=True)
class Fuzzed:
    """A server that lives through every example of a test, a channel to it, and how to fill it again."""

    database: pathlib.Path
    target: str
    channel: grpc.aio.Channel
    app: hikari.GatewayBot

    async def picture_of_filled_cache(self) -> cachestate.Picture:
        """Return a picture of the cache, filling it with real entities first if a request emptied it."""
        stub = cache_service_pb2_grpc.CacheServiceStub(self.channel)
        before = await cachestate.picture(self.database, stub)
        if before.rows["guilds"]:
            return before
        await cachestate.seed(self.target, self.app)
        return await cachestate.picture(self.database, stub)


@pytest.fixture
async def fuzzed(database: pathlib.Path, app: hikari.GatewayBot) -> collections.abc.AsyncIterator[Fuzzed]:
    """Run a server for the whole test (every example) and a channel to it."""
    running = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await running.start()
    target = f"127.0.0.1:{running.port}"
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            yield Fuzzed(database, target, channel, app)
    finally:
        await running.stop()


async def _call_raw(channel: grpc.aio.Channel, method: descriptor.MethodDescriptor, requests: list[bytes]) -> None:
    """Call ``method`` with ``requests`` as its serialized request(s), and read every response."""
    path = f"/{service.SERVICE_NAME}/{method.name}"
    if method.client_streaming and method.server_streaming:
        bidi = channel.stream_stream(path)(iter(requests), timeout=CALL_TIMEOUT)
        async for _ in bidi:
            pass
    elif method.client_streaming:
        await channel.stream_unary(path)(iter(requests), timeout=CALL_TIMEOUT)
    elif method.server_streaming:
        async for _ in channel.unary_stream(path)(requests[0], timeout=CALL_TIMEOUT):
            pass
    else:
        await channel.unary_unary(path)(requests[0], timeout=CALL_TIMEOUT)


async def _check_refusal_changes_nothing(
    fuzzed: Fuzzed, method: descriptor.MethodDescriptor, requests: list[bytes]
) -> None:
    stub = cache_service_pb2_grpc.CacheServiceStub(fuzzed.channel)
    before = await fuzzed.picture_of_filled_cache()
    try:
        await _call_raw(fuzzed.channel, method, requests)
    except grpc.aio.AioRpcError as exc:
        assert exc.code() in CALLERS_MISTAKES, f"{method.name}: {exc.code()} {exc.details()}"
        after = await cachestate.picture(fuzzed.database, stub)
        assert after == before, f"{method.name} was refused but changed the cache"
    await stub.GetStats(pb.GetStatsRequest(), timeout=CALL_TIMEOUT)  # the server still answers


# -- random bytes ----------------------------------------------------------------------------------


@FUZZ
@hypothesis.given(
    method=st.sampled_from(METHODS),
    requests=st.lists(st.binary(max_size=256), min_size=1, max_size=3),
)
async def test_random_bytes_on_any_rpc_are_answered_cleanly_and_refusals_change_nothing(
    fuzzed: Fuzzed, method: descriptor.MethodDescriptor, requests: list[bytes]
) -> None:
    await _check_refusal_changes_nothing(fuzzed, method, requests)


# -- well-typed messages full of wrong values ------------------------------------------------------

_FD = descriptor.FieldDescriptor
_EDGE_INTS = st.sampled_from([0, -1, 1, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63)])
_INTS: dict[int, st.SearchStrategy[int]] = {
    _FD.TYPE_INT64: _EDGE_INTS | st.integers(-(2**63), 2**63 - 1),
    _FD.TYPE_SINT64: _EDGE_INTS | st.integers(-(2**63), 2**63 - 1),
    _FD.TYPE_SFIXED64: _EDGE_INTS | st.integers(-(2**63), 2**63 - 1),
    _FD.TYPE_UINT64: st.sampled_from([0, 1, 2**63, 2**64 - 1]) | st.integers(0, 2**64 - 1),
    _FD.TYPE_FIXED64: st.integers(0, 2**64 - 1),
    _FD.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    _FD.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    _FD.TYPE_SFIXED32: st.integers(-(2**31), 2**31 - 1),
    _FD.TYPE_UINT32: st.integers(0, 2**32 - 1),
    _FD.TYPE_FIXED32: st.integers(0, 2**32 - 1),
}
_TEXT = st.text(max_size=12) | st.just("\U0001f600" * 8193) | st.just("")


def _value(field: descriptor.FieldDescriptor, depth: int) -> st.SearchStrategy[typing.Any]:
    if field.type in _INTS:
        return _INTS[field.type]
    if field.type == _FD.TYPE_BOOL:
        return st.booleans()
    if field.type == _FD.TYPE_STRING:
        return _TEXT
    if field.type == _FD.TYPE_BYTES:
        return st.binary(max_size=64)
    if field.type == _FD.TYPE_ENUM:
        return st.integers(-1, len(field.enum_type.values) + 1)  # unknown values too: proto3 enums are open
    if field.type in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        return st.floats(allow_nan=True, width=32 if field.type == _FD.TYPE_FLOAT else 64)
    return messages(field.message_type, depth + 1)


def messages(message_type: descriptor.Descriptor, depth: int = 0) -> st.SearchStrategy[message.Message]:
    """Return a strategy of messages of ``message_type``: any field set or not, to any value its type holds."""
    cls = _message_class(message_type)
    if depth > 4:
        return st.just(cls())

    @st.composite
    def build(draw: st.DrawFn) -> message.Message:
        result = cls()
        oneof_chosen: set[str] = set()
        for field in message_type.fields:
            oneof = field.containing_oneof
            if oneof is not None and not oneof.name.startswith("_"):
                if oneof.name in oneof_chosen or not draw(st.booleans()):
                    continue
                oneof_chosen.add(oneof.name)
            elif not draw(st.booleans()):
                continue
            if field.is_repeated:
                values = draw(st.lists(_value(field, depth), max_size=3))
                container = getattr(result, field.name)
                if field.type == _FD.TYPE_MESSAGE:
                    for value in values:
                        container.add().CopyFrom(value)
                else:
                    container.extend(values)
            elif field.type == _FD.TYPE_MESSAGE:
                getattr(result, field.name).CopyFrom(draw(_value(field, depth)))
            else:
                setattr(result, field.name, draw(_value(field, depth)))
        return result

    return build()


def _message_class(message_type: descriptor.Descriptor) -> type[message.Message]:
    return message_factory.GetMessageClass(message_type)


@FUZZ
@hypothesis.given(data=st.data(), method=st.sampled_from(METHODS))
async def test_well_typed_requests_of_wrong_values_are_answered_cleanly_and_refusals_change_nothing(
    fuzzed: Fuzzed, data: st.DataObject, method: descriptor.MethodDescriptor
) -> None:
    count = data.draw(st.integers(1, 3)) if method.client_streaming else 1
    requests = [data.draw(messages(method.input_type)).SerializeToString() for _ in range(count)]
    await _check_refusal_changes_nothing(fuzzed, method, requests)


# -- random operation sequences against a model ------------------------------------------------------

GUILDS = (1 << 22, 2 << 22, 3 << 22)
CHANNELS = tuple(range(10, 16))
USERS = tuple(range(100, 104))
ROLES = tuple(range(200, 205))
THREAD_KINDS = ("news_thread", "public_thread", "private_thread")


@dataclasses.dataclass
class Model:
    """What the cache should hold: each kind by its key, as the messages written."""

    guilds: dict[int, guilds_pb2.Guild] = dataclasses.field(default_factory=dict)
    channels: dict[int, channels_pb2.GuildChannel] = dataclasses.field(default_factory=dict)
    members: dict[tuple[int, int], members_pb2.Member] = dataclasses.field(default_factory=dict)
    roles: dict[int, roles_pb2.Role] = dataclasses.field(default_factory=dict)
    writer_session_open: bool = dataclasses.field(default=False, compare=False)
    """Whether the writes come through an open session, whose own rows prune keeps."""

    def apply(self, request: message.Message) -> None:
        """Apply one write request as the spec says it behaves."""
        if isinstance(request, pb.UpsertGuildsRequest):
            self.guilds.update({guild.id: guild for guild in request.guilds})
        elif isinstance(request, pb.UpsertChannelsRequest):
            self.channels.update({channel.id: channel for channel in request.channels})
        elif isinstance(request, pb.UpsertMembersRequest):
            self.members.update({(member.guild_id, member.user.id): member for member in request.members})
        elif isinstance(request, pb.UpsertRolesRequest):
            self.roles.update({role.id: role for role in request.roles})
        elif isinstance(request, pb.DeleteGuildRequest):
            guild_id = request.guild_id
            self.guilds.pop(guild_id, None)
            self.channels = {key: value for key, value in self.channels.items() if value.guild_id != guild_id}
            self.members = {key: value for key, value in self.members.items() if key[0] != guild_id}
            self.roles = {key: value for key, value in self.roles.items() if value.guild_id != guild_id}
        elif isinstance(request, pb.DeleteChannelRequest):
            gone = request.channel_id
            self.channels = {
                key: value
                for key, value in self.channels.items()
                if key != gone and not (value.parent_id == gone and value.WhichOneof("kind") in THREAD_KINDS)
            }
        elif isinstance(request, pb.DeleteMemberRequest):
            self.members.pop((request.guild_id, request.user_id), None)
        elif isinstance(request, pb.DeleteRoleRequest):
            self.roles.pop(request.role_id, None)
            for key, member in list(self.members.items()):
                if request.role_id in member.role_ids:
                    kept = members_pb2.Member()
                    kept.CopyFrom(member)
                    del kept.role_ids[:]
                    kept.role_ids.extend(role_id for role_id in member.role_ids if role_id != request.role_id)
                    self.members[key] = kept
        elif isinstance(request, pb.ClearRequest):
            for kind in ("guilds", "channels", "members", "roles"):
                if getattr(request, kind):
                    setattr(self, kind, {})
        elif isinstance(request, pb.PruneRequest) and not self.writer_session_open:
            self.guilds, self.channels, self.members, self.roles = {}, {}, {}, {}  # no open session wrote them


_NAMES = st.text(max_size=8)


@st.composite
def _channel(draw: st.DrawFn) -> channels_pb2.GuildChannel:
    channel = channels_pb2.GuildChannel(
        id=draw(st.sampled_from(CHANNELS)), guild_id=draw(st.sampled_from(GUILDS)), name=draw(_NAMES)
    )
    kind = draw(st.sampled_from(("text", "category", *THREAD_KINDS)))
    if draw(st.booleans()) or kind in THREAD_KINDS:
        channel.parent_id = draw(st.sampled_from(CHANNELS))
    if kind in THREAD_KINDS:
        thread = getattr(channel, kind)
        thread.owner_id = draw(st.sampled_from(USERS))
        thread.metadata.is_archived = draw(st.booleans())
    else:
        getattr(channel, kind).SetInParent()
    return channel


def _member(guild_id: int, user_id: int, role_ids: list[int], nickname: str) -> members_pb2.Member:
    return members_pb2.Member(
        guild_id=guild_id, user=members_pb2.User(id=user_id, username="user"), role_ids=role_ids, nickname=nickname
    )


_WRITES: st.SearchStrategy[message.Message] = st.one_of(
    st.builds(
        lambda ids, name: pb.UpsertGuildsRequest(guilds=[guilds_pb2.Guild(id=i, owner_id=1, name=name) for i in ids]),
        st.lists(st.sampled_from(GUILDS), max_size=2),
        _NAMES,
    ),
    st.builds(lambda channels: pb.UpsertChannelsRequest(channels=channels), st.lists(_channel(), max_size=3)),
    st.builds(
        lambda members: pb.UpsertMembersRequest(members=members),
        st.lists(
            st.builds(
                _member,
                st.sampled_from(GUILDS),
                st.sampled_from(USERS),
                st.lists(st.sampled_from(ROLES), max_size=3),
                _NAMES,
            ),
            max_size=3,
        ),
    ),
    st.builds(
        lambda roles: pb.UpsertRolesRequest(roles=roles),
        st.lists(
            st.builds(
                lambda role_id, guild_id, name: roles_pb2.Role(id=role_id, guild_id=guild_id, name=name),
                st.sampled_from(ROLES),
                st.sampled_from(GUILDS),
                _NAMES,
            ),
            max_size=3,
        ),
    ),
    st.builds(lambda guild_id: pb.DeleteGuildRequest(guild_id=guild_id), st.sampled_from(GUILDS)),
    st.builds(lambda channel_id: pb.DeleteChannelRequest(channel_id=channel_id), st.sampled_from(CHANNELS)),
    st.builds(
        lambda guild_id, user_id: pb.DeleteMemberRequest(guild_id=guild_id, user_id=user_id),
        st.sampled_from(GUILDS),
        st.sampled_from(USERS),
    ),
    st.builds(lambda role_id: pb.DeleteRoleRequest(role_id=role_id), st.sampled_from(ROLES)),
    st.builds(
        lambda kinds: pb.ClearRequest(**dict.fromkeys(kinds, True)),
        st.sets(st.sampled_from(("guilds", "channels", "members", "roles"))),
    ),
    st.just(pb.PruneRequest()),
)
_RPC_OF = {
    pb.UpsertGuildsRequest: "UpsertGuilds",
    pb.UpsertChannelsRequest: "UpsertChannels",
    pb.UpsertMembersRequest: "UpsertMembers",
    pb.UpsertRolesRequest: "UpsertRoles",
    pb.DeleteGuildRequest: "DeleteGuild",
    pb.DeleteChannelRequest: "DeleteChannel",
    pb.DeleteMemberRequest: "DeleteMember",
    pb.DeleteRoleRequest: "DeleteRole",
    pb.ClearRequest: "Clear",
    pb.PruneRequest: "Prune",
}


_OP_FIELD = {request: re.sub(r"(?<!^)(?=[A-Z])", "_", rpc).lower() for request, rpc in _RPC_OF.items()}
"""The ``WriteOp`` field of each request type: ``upsert_guilds`` for ``UpsertGuildsRequest``."""


async def _served(stub: cache_service_pb2_grpc.CacheServiceStub) -> Model:
    held = Model()
    async for guilds in stub.IterGuilds(pb.IterGuildsRequest(), timeout=CALL_TIMEOUT):
        held.guilds.update({guild.id: guild for guild in guilds.guilds})
    async for channels in stub.IterChannels(pb.IterChannelsRequest(), timeout=CALL_TIMEOUT):
        held.channels.update({channel.id: channel for channel in channels.channels})
    async for members in stub.IterMembers(pb.IterMembersRequest(), timeout=CALL_TIMEOUT):
        held.members.update({(member.guild_id, member.user.id): member for member in members.members})
    async for roles in stub.IterRoles(pb.IterRolesRequest(), timeout=CALL_TIMEOUT):
        held.roles.update({role.id: role for role in roles.roles})
    return held


async def _members_holding(stub: cache_service_pb2_grpc.CacheServiceStub, role_id: int) -> set[tuple[int, int]]:
    request = pb.IterMembersRequest(query=queries_pb2.MemberQuery(role_id=role_id))
    return {
        (member.guild_id, member.user.id)
        async for response in stub.IterMembers(request, timeout=CALL_TIMEOUT)
        for member in response.members
    }


async def _emptied(fuzzed: Fuzzed) -> cache_service_pb2_grpc.CacheServiceStub:
    """Empty the cache and return a stub of its server."""
    stub = cache_service_pb2_grpc.CacheServiceStub(fuzzed.channel)
    await stub.Clear(pb.ClearRequest(guilds=True, channels=True, members=True, roles=True), timeout=CALL_TIMEOUT)
    return stub


@FUZZ
@hypothesis.given(writes=st.lists(_WRITES, max_size=25))
async def test_any_sequence_of_writes_leaves_what_the_model_holds(
    fuzzed: Fuzzed, writes: list[message.Message]
) -> None:
    stub = await _emptied(fuzzed)
    model = Model()
    for request in writes:
        await getattr(stub, _RPC_OF[type(request)])(request, timeout=CALL_TIMEOUT)
        model.apply(request)

    await _check_against(stub, model)


async def _check_against(stub: cache_service_pb2_grpc.CacheServiceStub, model: Model) -> None:
    assert await _served(stub) == model
    for role_id in ROLES:
        holders = {key for key, member in model.members.items() if role_id in member.role_ids}
        assert await _members_holding(stub, role_id) == holders, f"members holding role {role_id}"


@FUZZ
@hypothesis.given(writes=st.lists(_WRITES, max_size=25))
async def test_any_sequence_of_writes_in_one_message_of_a_write_stream_leaves_what_the_model_holds(
    fuzzed: Fuzzed, writes: list[message.Message]
) -> None:
    """All in one message, the writes reach the writer together: grouped into transactions, upserts merged."""
    stub = await _emptied(fuzzed)
    model = Model(writer_session_open=True)
    ops = []
    for seq, request in enumerate(writes, 1):
        op = pb.WriteOp(seq=seq)
        getattr(op, _OP_FIELD[type(request)]).CopyFrom(request)
        ops.append(op)
        model.apply(request)

    events = [event async for event in stub.Write(iter([pb.WriteRequest(ops=ops)]), timeout=CALL_TIMEOUT)]

    assert [event.failure for event in events if event.WhichOneof("event") == "failure"] == []
    committed = [event.committed_through for event in events if event.WhichOneof("event") == "committed_through"]
    assert max(committed, default=0) == len(ops)
    await _check_against(stub, model)


@pytest.mark.parametrize("method", ["UpsertRoles", "IterMembers", "Write", "Restore"])
async def test_bytes_that_are_no_message_of_the_request_type_are_refused_as_invalid_argument(
    fuzzed: Fuzzed, method: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _call_raw(
            fuzzed.channel, pb.DESCRIPTOR.services_by_name["CacheService"].methods_by_name[method], [b"\x00"]
        )

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"request: not a valid {method}Request message")
