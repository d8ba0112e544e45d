"""The bridge loses nothing it could keep: one object that cannot be stored costs that object alone.

Real events from hikari's event factory, dispatched through a real bot to ``Cache`` on a real
server: a GUILD_CREATE (or a member chunk, or a thread list sync) holding one channel, thread,
role or member the server cannot store has every other object stored, each equal to what
hikari made of it, and the refused one logged with its kind, ids and reason, counted in
``failed_writes`` and passed to ``on_error``.
"""

from __future__ import annotations

import logging
import typing

import hikari
import payloads
import pytest
from fidelity import assert_same_entity
from gateway import Bot

from hikari_kura.client import (
    ChannelQuery,
    GrpcBackend,
    InvalidArgumentError,
    MemberQuery,
    RoleQuery,
    bridge,
)
from hikari_kura.client.convert import checks

GUILD = payloads.GUILD_ID
TOO_LONG = "x" * (checks.MAX_TEXT + 1)
BAD_ROLE_ID = 41_771_983_423_143_999
BAD_MEMBER_ID = 1_000_000_000_000_000_099
BAD_THREAD_ID = 399_942_396_007_890_999
WRITE_STREAM_LOGGER = "hikari_kura.client.write_stream"


def _reported(bot: Bot) -> list[tuple[str, str, str]]:
    """Return each failure the bot's backend handed to ``on_error``: its operation, ids and the error's message."""
    return [(failure.operation, failure.detail, failure.error.message) for failure in bot.failures]


def _guild_create_with_one_unstorable_of_each_kind() -> payloads.JSONObject:
    payload = payloads.guild_create_payload()
    payload["channels"].append(payloads.channel_payload(0, 0, name="a key of 0"))
    payload["threads"].append(payloads.thread_payload(11, BAD_THREAD_ID, payloads.FORUM_ID, owner_id="-1"))
    payload["roles"].append(payloads.role_payload(BAD_ROLE_ID, name=TOO_LONG))
    payload["members"].append(payloads.member_payload(BAD_MEMBER_ID, nick=TOO_LONG))
    return payload


REFUSED: typing.Final = [
    (
        "bulk_channels",
        "channel_id=0",
        f"channel id=0 guild_id={GUILD}: id: must be a positive snowflake, at most 2^63-1",
    ),
    (
        "bulk_channels",
        f"channel_id={BAD_THREAD_ID}",
        f"channel id={BAD_THREAD_ID} guild_id={GUILD}: owner_id: must be a snowflake from 0 to 2^63-1",
    ),
    (
        "bulk_roles",
        f"role_id={BAD_ROLE_ID}",
        f"role id={BAD_ROLE_ID} guild_id={GUILD}: name: must be at most {checks.MAX_TEXT} characters",
    ),
    (
        "bulk_members",
        f"guild_id={GUILD} user_id={BAD_MEMBER_ID}",
        f"member guild_id={GUILD} user_id={BAD_MEMBER_ID}: nickname: must be at most {checks.MAX_TEXT} characters",
    ),
]
"""What the bridge reports of that GUILD_CREATE: the operation, the ids, the object and field to blame."""


async def _assert_stored_but(backend: GrpcBackend, event: hikari.GuildAvailableEvent, refused: set[int]) -> None:
    """Assert every object of ``event`` but the refused ones is stored, equal to what hikari made of it."""
    channels = {c.id: c async for c in backend.iter_channels(ChannelQuery(guild_id=GUILD))}
    expected_channels = {**event.channels, **event.threads}
    assert channels.keys() == expected_channels.keys() - refused
    for channel_id, channel in channels.items():
        assert_same_entity(channel, expected_channels[channel_id])
    roles = {r.id: r async for r in backend.iter_roles(RoleQuery(guild_id=GUILD))}
    assert roles.keys() == event.roles.keys() - refused
    for role_id, role in roles.items():
        assert_same_entity(role, event.roles[role_id])
    members = {m.id: m async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    assert members.keys() == event.members.keys() - refused
    for user_id, member in members.items():
        assert_same_entity(member, event.members[user_id])


def _failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == WRITE_STREAM_LOGGER and record.levelno == logging.ERROR
    ]


def test_grpc_backend_skips_unstorable_objects_for_the_bridge() -> None:
    assert isinstance(GrpcBackend("127.0.0.1:1", app=payloads.make_app()), bridge.SkipsUnstorable)


async def test_a_guild_create_with_one_unstorable_object_of_each_kind_stores_every_other(
    bot: Bot, backend: GrpcBackend, caplog: pytest.LogCaptureFixture
) -> None:
    event = bot.gateway.guild_available(_guild_create_with_one_unstorable_of_each_kind())
    with caplog.at_level(logging.ERROR, logger=WRITE_STREAM_LOGGER):
        await bot.gateway.dispatch(event)
        await bot.backend.flush()

    (guild,) = [g async for g in backend.iter_guilds()]
    assert_same_entity(guild, event.guild)
    await _assert_stored_but(backend, event, {hikari.Snowflake(0), BAD_THREAD_ID, BAD_ROLE_ID, BAD_MEMBER_ID})
    assert bot.backend.failed_writes == len(REFUSED)
    assert _reported(bot) == REFUSED
    lines = _failure_lines(caplog)
    assert len(lines) == len(REFUSED)
    for line, (operation, ids, message) in zip(lines, REFUSED, strict=True):
        assert line == f"write failed op={operation} {ids} error=INVALID_ARGUMENT: {message}"


async def test_confirmed_listeners_run_on_what_was_stored_when_some_objects_were_refused(
    bot: Bot, backend: GrpcBackend
) -> None:
    seen: list[set[int]] = []

    @bot.cache.listen(confirm=True)
    async def on_guild(event: hikari.GuildAvailableEvent) -> None:
        seen.append({int(c.id) async for c in bot.backend.iter_channels(ChannelQuery(guild_id=GUILD))})

    event = bot.gateway.guild_available(_guild_create_with_one_unstorable_of_each_kind())
    await bot.gateway.dispatch(event)

    assert seen == [{int(channel_id) for channel_id in (*event.channels, *event.threads)} - {0, BAD_THREAD_ID}]
    await _assert_stored_but(backend, event, {hikari.Snowflake(0), BAD_THREAD_ID, BAD_ROLE_ID, BAD_MEMBER_ID})
    assert _reported(bot) == REFUSED


async def test_a_guild_create_whose_guild_cannot_be_stored_still_stores_its_channels_roles_and_members(
    bot: Bot, backend: GrpcBackend, caplog: pytest.LogCaptureFixture
) -> None:
    event = bot.gateway.guild_available({**payloads.guild_create_payload(), "name": TOO_LONG})
    with caplog.at_level(logging.ERROR, logger=WRITE_STREAM_LOGGER):
        await bot.gateway.dispatch(event)
        await bot.backend.flush()

    assert [g async for g in backend.iter_guilds()] == []
    await _assert_stored_but(backend, event, set())
    message = f"guild id={GUILD}: name: must be at most {checks.MAX_TEXT} characters"
    assert _reported(bot) == [("guild_join", f"guild_id={GUILD}", message)]
    assert _failure_lines(caplog) == [f"write failed op=guild_join guild_id={GUILD} error=INVALID_ARGUMENT: {message}"]
    assert bot.backend.failed_writes == 1


async def test_a_member_chunk_with_one_unstorable_member_stores_the_others(bot: Bot, backend: GrpcBackend) -> None:
    members = [payloads.member_payload(payloads.OWNER_ID + i, nick=f"chunked-{i}") for i in range(3)]
    members[1]["user"] = {**members[1]["user"], "id": "0"}
    chunk = bot.gateway.event(
        "guild_member_chunk",
        GUILD,
        {"guild_id": str(GUILD), "members": members, "chunk_index": 0, "chunk_count": 1},
    )
    await bot.gateway.dispatch(chunk)
    await bot.backend.flush()

    stored = {int(m.id): m async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    expected = typing.cast(hikari.MemberChunkEvent, chunk).members
    assert stored.keys() == {payloads.OWNER_ID, payloads.OWNER_ID + 2}
    for user_id, member in stored.items():
        assert_same_entity(member, expected[hikari.Snowflake(user_id)])
    assert _reported(bot) == [
        (
            "bulk_members",
            f"guild_id={GUILD} user_id=0",
            f"member guild_id={GUILD} user_id=0: user.id: must be a positive snowflake, at most 2^63-1",
        )
    ]


async def test_a_thread_list_sync_with_one_unstorable_thread_stores_the_others(bot: Bot, backend: GrpcBackend) -> None:
    threads = [
        payloads.thread_payload(11, payloads.PUBLIC_THREAD_ID + i, payloads.TEXT_ID, guild_id=str(GUILD))
        for i in range(3)
    ]
    threads[2]["thread_metadata"] = {**threads[2]["thread_metadata"], "archive_timestamp": "0001-01-01T00:00:00+05:00"}
    sync = bot.gateway.event(
        "thread_list_sync",
        GUILD,
        {"guild_id": str(GUILD), "channel_ids": [str(payloads.TEXT_ID)], "threads": threads, "members": []},
    )
    await bot.gateway.dispatch(sync)
    await bot.backend.flush()

    stored = {int(c.id): c async for c in backend.iter_channels(ChannelQuery(parent_id=payloads.TEXT_ID))}
    expected = typing.cast(hikari.ThreadListSyncEvent, sync).threads
    assert stored.keys() == {payloads.PUBLIC_THREAD_ID, payloads.PUBLIC_THREAD_ID + 1}
    for thread_id, thread in stored.items():
        assert_same_entity(thread, expected[hikari.Snowflake(thread_id)])
    bad = payloads.PUBLIC_THREAD_ID + 2
    assert _reported(bot) == [
        (
            "bulk_channels",
            f"channel_id={bad}",
            f"channel id={bad} guild_id={GUILD}: metadata.archive_timestamp: "
            "must be between 0001-01-01 and 9999-12-31 in UTC",
        )
    ]


async def test_outside_the_bridge_a_bulk_with_an_unstorable_object_is_refused_whole(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    members = [payloads.member(app, payloads.member_payload(payloads.OWNER_ID + i)) for i in range(3)]
    members[1] = payloads.member(app, payloads.member_payload(payloads.OWNER_ID + 1, nick=TOO_LONG))

    with pytest.raises(InvalidArgumentError, match=r"bulk_members\[1\]: member .*: nickname: "):
        await (await backend.bulk_members(members, confirm=True))
    assert [m async for m in backend.iter_members()] == []

    with backend.skipping_unstorable():
        await (await backend.bulk_members(members, confirm=True))
    assert {int(m.id) async for m in backend.iter_members()} == {payloads.OWNER_ID, payloads.OWNER_ID + 2}
    assert backend.failed_writes == 1
