"""Writes of one client apply in the order they were issued, whatever their confirm flag."""

from __future__ import annotations

import asyncio
import random

import hikari
import payloads

from hikari_kura.client import GrpcBackend, MemberQuery, RoleQuery
from hikari_kura.client.grpc_backend import CONVERT_BETWEEN_YIELDS
from hikari_kura.client.write_stream import MAX_OPS_PER_MESSAGE

GUILD = payloads.GUILD_ID


def _member(app: hikari.GatewayBot, user_id: int, nickname: str, roles: list[int]) -> hikari.Member:
    return payloads.member(
        app, payloads.member_payload(user_id, nick=nickname, roles=[str(role) for role in roles]), guild_id=GUILD
    )


async def test_update_then_delete_never_leaves_the_member_stored(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    member = _member(app, 1001, "here", [])
    for _ in range(50):
        await backend.member_update(member, confirm=False)
        await backend.member_delete(member.id, hikari.Snowflake(GUILD), confirm=False)
    await backend.flush()

    assert [m async for m in backend.iter_members(MemberQuery(guild_id=GUILD))] == []


async def test_interleaved_unconfirmed_writes_end_in_the_state_of_sequential_application(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    rng = random.Random(20261126)
    user_ids = list(range(5000, 5020))
    role_ids = [7000 + i for i in range(5)]
    expected_members: dict[int, tuple[str, list[int]]] = {}
    expected_roles: set[int] = set()
    for step in range(4000):
        choice = rng.random()
        user_id = rng.choice(user_ids)
        if choice < 0.45:
            nickname = f"n{step}"
            held = sorted(rng.sample(role_ids, rng.randint(0, 3)))
            await backend.member_update(_member(app, user_id, nickname, held), confirm=False)
            expected_members[user_id] = (nickname, held)
        elif choice < 0.7:
            await backend.member_delete(hikari.Snowflake(user_id), hikari.Snowflake(GUILD), confirm=False)
            expected_members.pop(user_id, None)
        elif choice < 0.85:
            role_id = rng.choice(role_ids)
            await backend.role_update(payloads.role(app, payloads.role_payload(role_id), guild_id=GUILD), confirm=False)
            expected_roles.add(role_id)
        else:
            role_id = rng.choice(role_ids)
            await backend.role_delete(hikari.Snowflake(role_id), confirm=False)
            expected_roles.discard(role_id)
            for user, (nickname, held) in expected_members.items():
                expected_members[user] = (nickname, [r for r in held if r != role_id])
    await (await backend.member_update(_member(app, 9999, "barrier", []), confirm=True))
    expected_members[9999] = ("barrier", [])

    # hikari lists the guild's @everyone role (id == guild id) in every member's role_ids.
    stored = {
        int(m.id): (m.nickname, sorted(int(r) for r in m.role_ids if r != GUILD))
        async for m in backend.iter_members(MemberQuery(guild_id=GUILD))
    }
    assert stored == {user: (nick, sorted(held)) for user, (nick, held) in expected_members.items()}
    assert {int(r.id) async for r in backend.iter_roles(RoleQuery(guild_id=GUILD))} == expected_roles
    for role_id in role_ids:
        holders = {int(m.id) async for m in backend.iter_members(MemberQuery(role_id=role_id))}
        assert holders == {user for user, (_, held) in expected_members.items() if role_id in held}
    assert backend.failed_writes == 0


async def test_confirmed_and_unconfirmed_writes_share_one_order(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    await backend.member_create(_member(app, 42, "first", []), confirm=False)
    confirmed = await backend.member_update(_member(app, 42, "second", []), confirm=True)
    await backend.member_update(_member(app, 42, "third", []), confirm=False)
    await confirmed
    await backend.flush()

    (member,) = [m async for m in backend.iter_members(MemberQuery(guild_id=GUILD, id=42))]
    assert member.nickname == "third"


async def test_bulk_between_single_writes_keeps_its_place(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    await backend.member_delete(hikari.Snowflake(3), hikari.Snowflake(GUILD), confirm=False)
    await backend.bulk_members([_member(app, user_id, "bulk", []) for user_id in range(1, 2501)], confirm=False)
    await backend.member_update(_member(app, 3, "after", []), confirm=False)
    await backend.member_delete(hikari.Snowflake(4), hikari.Snowflake(GUILD), confirm=False)
    await backend.flush()

    stored = {int(m.id): m.nickname async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    assert len(stored) == 2499
    assert stored[3] == "after"
    assert 4 not in stored


async def test_writes_called_while_a_bulk_converts_wait_for_it_and_keep_call_order(
    target: str, app: hikari.GatewayBot
) -> None:
    # Chunks of 10: the bulk lets the event loop run between its 50 chunks, and other tasks call writes then.
    backend = GrpcBackend(target, app=app, bulk_chunk_size=10)
    await backend.connect()
    try:
        members = [_member(app, user_id, "bulk", []) for user_id in range(1, 501)]
        bulk = asyncio.create_task(backend.bulk_members(members, confirm=False))
        await asyncio.sleep(0)  # the bulk starts and converts its first chunk
        assert not bulk.done()  # still converting: the writes below are called in the middle of it

        later = [
            asyncio.create_task(backend.member_update(_member(app, 3, "after", []), confirm=False)),
            asyncio.create_task(backend.member_delete(hikari.Snowflake(4), hikari.Snowflake(GUILD), confirm=False)),
            asyncio.create_task(backend.bulk_members([_member(app, 4, "again", [])], confirm=False)),
            asyncio.create_task(backend.member_delete(hikari.Snowflake(5), hikari.Snowflake(GUILD), confirm=False)),
        ]
        await backend.flush()  # waits for the bulk still converting too

        assert bulk.done()
        await asyncio.gather(bulk, *later)
        await backend.flush()
        stored = {int(m.id): m.nickname async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
        assert backend.failed_writes == 0
    finally:
        await backend.disconnect()

    assert len(stored) == 499
    assert (stored[3], stored[4]) == ("after", "again")
    assert 5 not in stored


async def test_disconnect_while_a_bulk_converts_sends_it_first(target: str, app: hikari.GatewayBot) -> None:
    backend = GrpcBackend(target, app=app, bulk_chunk_size=10)
    await backend.connect()
    bulk = asyncio.create_task(
        backend.bulk_members([_member(app, user_id, "bulk", []) for user_id in range(1, 301)], confirm=False)
    )
    await asyncio.sleep(0)
    assert not bulk.done()

    await backend.disconnect()

    assert bulk.done()
    await bulk
    reader = GrpcBackend(target, app=app)
    await reader.connect()
    try:
        assert len([m async for m in reader.iter_members(MemberQuery(guild_id=GUILD))]) == 300
    finally:
        await reader.disconnect()


async def test_writes_called_while_one_chunk_converts_wait_for_it_and_keep_call_order(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    # One chunk of 1,000 (the default chunk size): the bulk lets the loop run inside the chunk's conversion.
    members = [_member(app, user_id, "bulk", []) for user_id in range(1, 1001)]
    bulk = asyncio.create_task(backend.bulk_members(members, confirm=True))
    turns_while_converting = 0

    async def other_task() -> None:
        nonlocal turns_while_converting
        while not bulk.done():
            turns_while_converting += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_task())
    await asyncio.sleep(0)  # the bulk starts and converts its first slice
    assert not bulk.done()
    later = asyncio.create_task(backend.member_update(_member(app, 7, "after", []), confirm=True))
    await (await bulk)
    await ticker
    await (await later)

    stored = {int(m.id): m.nickname async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    assert turns_while_converting >= 1000 // CONVERT_BETWEEN_YIELDS - 1
    assert len(stored) == 1000
    assert stored[7] == "after"
    assert stored[8] == "bulk"


async def test_a_caller_issuing_unconfirmed_writes_without_pause_lets_other_tasks_run(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    # A loop that never awaits anything but the writes: once a full message of them waits to be
    # sent, a write lets the loop run, so the sender ships them while the caller goes on.
    members = [_member(app, user_id, f"v{user_id}", []) for user_id in range(1, 2 * MAX_OPS_PER_MESSAGE + 1)]
    ran = asyncio.Event()
    observer = asyncio.create_task(_set(ran))
    seen_during_loop = []
    for member in members:
        await backend.member_update(member, confirm=False)
        seen_during_loop.append(ran.is_set())
    final = _member(app, 1, "last", [])
    await (await backend.member_update(final, confirm=True))
    await observer

    stored = {int(m.id): m.nickname async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    assert any(seen_during_loop)
    assert not seen_during_loop[0]
    assert len(stored) == len(members)
    assert stored[1] == "last"
    assert stored[len(members)] == f"v{len(members)}"
    assert backend.failed_writes == 0


async def _set(event: asyncio.Event) -> None:
    event.set()
