"""The write stream's own encoding of ops: protobuf's parser reads back exactly what was meant."""

from __future__ import annotations

import pytest

from hikari_kura.client import write_stream
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import members_pb2

GUILD = 91 << 22


def _upsert(user_ids: range, nickname: str) -> pb.WriteOp:
    op = pb.WriteOp()
    op.upsert_members.SetInParent()  # an upsert of no members is still an upsert
    add = op.upsert_members.members.add
    for user_id in user_ids:
        add(guild_id=GUILD, user=members_pb2.User(id=user_id, username="u"), nickname=nickname)
    return op


# Seqs and op sizes on both sides of each varint length (1, 2, 3 bytes and more).
@pytest.mark.parametrize("seq", [1, 127, 128, 16_383, 16_384, 2**40])
@pytest.mark.parametrize("members", [0, 1, 2, 150])
@pytest.mark.parametrize("partial", [False, True])
def test_a_framed_op_parses_as_a_write_request_with_its_seq_and_partial_flag(
    seq: int, members: int, partial: bool
) -> None:
    op = _upsert(range(1, members + 1), "n" * members)

    parsed = pb.WriteRequest.FromString(write_stream._framed(op.SerializeToString(), seq, partial))

    (got,) = parsed.ops
    expected = pb.WriteOp()
    expected.CopyFrom(op)
    expected.seq = seq
    expected.partial = partial
    assert got == expected
    assert got.WhichOneof("op") == "upsert_members"


def test_framed_ops_joined_are_one_write_request_in_order() -> None:
    ops = [_upsert(range(i, i + 3), f"chunk {i}") for i in range(5)]
    delete = pb.WriteOp()
    delete.delete_member.guild_id = GUILD
    delete.delete_member.user_id = 7

    chunks = [write_stream._framed(op.SerializeToString(), 9, index < 4) for index, op in enumerate(ops)]
    message = b"".join([*chunks, write_stream._framed(delete.SerializeToString(), 10, False)])

    parsed = pb.WriteRequest.FromString(message)
    assert [(op.seq, op.partial) for op in parsed.ops] == [(9, True)] * 4 + [(9, False), (10, False)]
    assert [op.upsert_members.members[0].nickname for op in parsed.ops[:5]] == [f"chunk {i}" for i in range(5)]
    assert parsed.ops[5].delete_member.user_id == 7
