"""A bulk of 250,000 members works: no message-size limit reaches the user, and it is all or nothing."""

from __future__ import annotations

import hikari
import payloads
import pytest

from hikari_kura.client import GrpcBackend, InvalidArgumentError, MemberQuery

GUILD = 123 << 22
COUNT = 250_000


def _members(app: hikari.GatewayBot, count: int) -> list[hikari.Member]:
    deserialize = app.entity_factory.deserialize_member
    return [
        deserialize(payloads.member_payload(user_id, nick=f"member {user_id}"), guild_id=hikari.Snowflake(GUILD))
        for user_id in range(1, count + 1)
    ]


async def test_bulk_of_250k_members_is_stored_whole(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    members = _members(app, COUNT)

    await (await backend.bulk_members(members, confirm=True))

    seen = 0
    async for member in backend.iter_members(MemberQuery(guild_id=GUILD)):
        seen += 1
        assert member.nickname == f"member {member.id}"
    assert seen == COUNT


async def test_bulk_with_one_bad_member_stores_none_of_it(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    members = _members(app, 5_000)
    members[4_321] = payloads.member(app, payloads.member_payload(10**6, user={"id": "0"}), guild_id=GUILD)

    # Refused by the client before anything is sent, naming the member by its place in the bulk and its ids.
    with pytest.raises(InvalidArgumentError, match=r"bulk_members\[4321\]: member guild_id=\d+ user_id=0: user\.id: "):
        await (await backend.bulk_members(members, confirm=True))

    assert [m async for m in backend.iter_members(MemberQuery(guild_id=GUILD))] == []
