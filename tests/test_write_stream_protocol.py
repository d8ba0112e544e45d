"""The Write stream's contract, as any client sees it: outcomes by seq, in order, none lost."""

from __future__ import annotations

import collections.abc

import grpc
import pytest

from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, members_pb2, queries_pb2, roles_pb2

GUILD = 91 << 22


def _members(*user_ids: int) -> pb.UpsertMembersRequest:
    return pb.UpsertMembersRequest(
        members=[members_pb2.Member(guild_id=GUILD, user=members_pb2.User(id=user_id)) for user_id in user_ids]
    )


def _role(role_id: int) -> pb.UpsertRolesRequest:
    return pb.UpsertRolesRequest(roles=[roles_pb2.Role(id=role_id, guild_id=GUILD, name="r")])


async def _exchange(
    stub: cache_service_pb2_grpc.CacheServiceStub, ops: list[pb.WriteOp]
) -> tuple[list[pb.WriteResponse], grpc.StatusCode, str]:
    """Send the ops in one message, half-close, and return every event and the final status."""

    async def requests() -> collections.abc.AsyncIterator[pb.WriteRequest]:
        yield pb.WriteRequest(ops=ops)

    call = stub.Write(requests())
    events: list[pb.WriteResponse] = []
    try:
        async for event in call:
            events.append(event)
    except grpc.aio.AioRpcError as exc:
        return events, exc.code(), exc.details() or ""
    return events, await call.code(), await call.details() or ""


def _outcomes(events: list[pb.WriteResponse]) -> list[tuple[str, int]]:
    outcomes: list[tuple[str, int]] = []
    for event in events[1:]:
        kind = event.WhichOneof("event")
        outcomes.append((kind, event.failure.seq if kind == "failure" else event.committed_through))
    return outcomes


async def _member_ids(stub: cache_service_pb2_grpc.CacheServiceStub) -> set[int]:
    request = pb.IterMembersRequest(query=queries_pb2.MemberQuery(guild_id=GUILD))
    return {member.user.id async for response in stub.IterMembers(request) for member in response.members}


async def test_a_bulk_left_open_by_a_new_write_is_reported_failed_before_that_write_commits(
    stub: cache_service_pb2_grpc.CacheServiceStub,
) -> None:
    events, code, _ = await _exchange(
        stub,
        [pb.WriteOp(seq=1, partial=True, upsert_members=_members(1, 2)), pb.WriteOp(seq=2, upsert_roles=_role(5))],
    )

    assert code == grpc.StatusCode.OK
    assert _outcomes(events) == [("failure", 1), ("committed_through", 2)]
    assert "before the bulk's last chunk" in events[1].failure.message
    assert await _member_ids(stub) == set()


async def test_a_seq_repeated_after_a_refused_write_ends_the_stream(
    stub: cache_service_pb2_grpc.CacheServiceStub,
) -> None:
    events, code, details = await _exchange(
        stub,
        [
            pb.WriteOp(seq=1, delete_role=pb.DeleteRoleRequest(role_id=0)),
            pb.WriteOp(seq=1, upsert_members=_members(3)),
        ],
    )

    assert _outcomes(events) == [("failure", 1)]
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "seq: must increase" in details
    assert await _member_ids(stub) == set()


@pytest.mark.parametrize("repeat", [1, 0])
async def test_writes_taken_before_a_malformed_seq_are_confirmed_before_the_stream_ends(
    stub: cache_service_pb2_grpc.CacheServiceStub, repeat: int
) -> None:
    events, code, _ = await _exchange(
        stub, [pb.WriteOp(seq=1, upsert_members=_members(4)), pb.WriteOp(seq=repeat, upsert_members=_members(5))]
    )

    assert _outcomes(events) == [("committed_through", 1)]
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert await _member_ids(stub) == {4}
