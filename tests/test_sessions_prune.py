"""Sessions and prune: shards sharing one server never prune each other; stale data goes."""

from __future__ import annotations

import pathlib

import cachestate
import hikari
import payloads
import pytest

from hikari_kura.client import GrpcBackend, GuildQuery, RoleQuery
from hikari_kura.server import app as server_app


async def test_prune_by_one_session_keeps_what_another_open_session_wrote(target: str, app: hikari.GatewayBot) -> None:
    shard_0, shard_1 = GrpcBackend(target, app=app), GrpcBackend(target, app=app)
    await shard_0.connect()
    await shard_1.connect()
    try:
        await (await shard_0.guild_join(payloads.guild_with_id(app, 1 << 22), confirm=True))
        await (await shard_0.bulk_members(payloads.members_of(app, 1 << 22, range(1, 51)), confirm=True))
        await (await shard_1.guild_join(payloads.guild_with_id(app, 2 << 22), confirm=True))
        await (await shard_1.bulk_members(payloads.members_of(app, 2 << 22, range(1, 51)), confirm=True))

        await shard_0.prune()
        await shard_1.prune()

        assert await cachestate.guild_ids(shard_0) == {1 << 22, 2 << 22}
        assert await cachestate.member_ids(shard_0, 1 << 22) == set(range(1, 51))
        assert await cachestate.member_ids(shard_0, 2 << 22) == set(range(1, 51))
    finally:
        await shard_0.disconnect()
        await shard_1.disconnect()


async def test_prune_removes_what_a_closed_session_wrote(target: str, app: hikari.GatewayBot) -> None:
    gone = GrpcBackend(target, app=app)
    await gone.connect()
    await gone.guild_join(payloads.guild_with_id(app, 3 << 22), confirm=False)
    await gone.bulk_members(payloads.members_of(app, 3 << 22, range(1, 11)), confirm=False)
    await gone.role_create(payloads.role(app, payloads.role_payload(77), guild_id=3 << 22), confirm=False)
    await gone.disconnect()

    live = GrpcBackend(target, app=app)
    await live.connect()
    try:
        await (await live.guild_join(payloads.guild_with_id(app, 4 << 22), confirm=True))
        assert await cachestate.member_ids(live, 3 << 22) == set(range(1, 11))  # disconnect committed everything

        await live.prune()

        assert await cachestate.guild_ids(live) == {4 << 22}
        assert await cachestate.member_ids(live, 3 << 22) == set()
        assert [r async for r in live.iter_roles(RoleQuery(id=77))] == []
    finally:
        await live.disconnect()


async def test_after_a_restart_prune_keeps_only_what_was_written_again(
    database: pathlib.Path | str, app: hikari.GatewayBot
) -> None:
    config = server_app.Config(address="127.0.0.1:0", database=database)
    first = server_app.Server(config)
    await first.start()
    bot = GrpcBackend(f"127.0.0.1:{first.port}", app=app)
    await bot.connect()
    await (await bot.bulk_members(payloads.members_of(app, 5 << 22, range(1, 101)), confirm=True))
    first_session = bot.session_id
    await bot.disconnect()
    await first.stop()

    second = server_app.Server(config)
    await second.start()
    bot = GrpcBackend(f"127.0.0.1:{second.port}", app=app)
    await bot.connect()
    try:
        assert bot.session_id != first_session
        assert await cachestate.member_ids(bot, 5 << 22) == set(range(1, 101))  # kept across the restart
        await (await bot.bulk_members(payloads.members_of(app, 5 << 22, range(1, 31)), confirm=True))

        await bot.prune()

        assert await cachestate.member_ids(bot, 5 << 22) == set(range(1, 31))
    finally:
        await bot.disconnect()
        await second.stop()


async def test_prune_scoped_to_a_shard_leaves_other_shards_guilds(target: str, app: hikari.GatewayBot) -> None:
    # Guild g is on shard (g >> 22) % 2: 6 << 22 on shard 0, 7 << 22 on shard 1.
    old = GrpcBackend(target, app=app)
    await old.connect()
    for guild_id in (6 << 22, 7 << 22):
        await old.guild_join(payloads.guild_with_id(app, guild_id), confirm=False)
        await old.bulk_members(payloads.members_of(app, guild_id, range(1, 6)), confirm=False)
    await old.disconnect()

    shard_0 = GrpcBackend(target, app=app)
    await shard_0.connect()
    try:
        await shard_0.prune_shard(0, 2)

        assert await cachestate.guild_ids(shard_0) == {7 << 22}
        assert await cachestate.member_ids(shard_0, 6 << 22) == set()
        assert await cachestate.member_ids(shard_0, 7 << 22) == set(range(1, 6))
    finally:
        await shard_0.disconnect()


async def test_disconnect_waits_for_every_issued_write(target: str, app: hikari.GatewayBot) -> None:
    writer = GrpcBackend(target, app=app)
    await writer.connect()
    members = payloads.members_of(app, 8 << 22, range(1, 3001))
    for member in members:
        await writer.member_update(member, confirm=False)
    await writer.disconnect()

    reader = GrpcBackend(target, app=app)
    await reader.connect()
    try:
        assert await cachestate.member_ids(reader, 8 << 22) == set(range(1, 3001))
    finally:
        await reader.disconnect()


async def test_async_with_connects_and_disconnects_after_every_issued_write(
    target: str, app: hikari.GatewayBot
) -> None:
    async with GrpcBackend(target, app=app) as writer:
        assert writer.session_id is not None
        for member in payloads.members_of(app, 8 << 22, range(1, 1001)):
            await writer.member_update(member, confirm=False)
    assert writer.session_id is None

    with pytest.raises(LookupError, match="the block failed"):
        async with GrpcBackend(target, app=app) as failing:
            for member in payloads.members_of(app, 8 << 22, range(1001, 2001)):
                await failing.member_update(member, confirm=False)
            raise LookupError("the block failed")
    assert failing.session_id is None

    async with GrpcBackend(target, app=app) as reader:
        assert await cachestate.member_ids(reader, 8 << 22) == set(range(1, 2001))


async def test_guild_leave_removes_the_guild_and_all_it_holds(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    data = payloads.guild_create_payload()
    guild = payloads.guild(app, data)
    await backend.guild_join(guild, confirm=False)
    await backend.bulk_channels([*payloads.channels(app, data), *payloads.threads(app, data)], confirm=False)
    await backend.bulk_members(payloads.members(app, data), confirm=False)
    await backend.bulk_roles(payloads.roles(app, data), confirm=False)
    other = payloads.guild_with_id(app, 9 << 22)
    await backend.guild_join(other, confirm=False)
    await backend.bulk_members(payloads.members_of(app, 9 << 22, range(1, 4)), confirm=False)

    await (await backend.guild_leave(guild.id, confirm=True))

    assert [g.id async for g in backend.iter_guilds(GuildQuery(id=guild.id))] == []
    assert [c async for c in backend.iter_channels()] == []
    assert [r async for r in backend.iter_roles()] == []
    assert await cachestate.member_ids(backend, guild.id) == set()
    assert await cachestate.member_ids(backend, 9 << 22) == {1, 2, 3}


async def test_channel_delete_removes_its_threads_but_not_a_categorys_channels(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    data = payloads.guild_create_payload()
    channels = [*payloads.channels(app, data), *payloads.threads(app, data)]
    await (await backend.bulk_channels(channels, confirm=True))
    threads_of_text = {int(c.id) for c in channels if c.parent_id == payloads.TEXT_ID and c.type in (10, 11, 12)}
    in_category = {int(c.id) for c in channels if c.parent_id == payloads.CATEGORY_ID}
    assert threads_of_text and in_category

    await (await backend.channel_delete(hikari.Snowflake(payloads.TEXT_ID), confirm=True))
    await (await backend.channel_delete(hikari.Snowflake(payloads.CATEGORY_ID), confirm=True))

    remaining = {int(c.id) async for c in backend.iter_channels()}
    assert payloads.TEXT_ID not in remaining and payloads.CATEGORY_ID not in remaining
    assert not remaining & threads_of_text
    assert in_category - {payloads.TEXT_ID} <= remaining


async def test_deletes_of_unknown_objects_succeed_and_change_nothing(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    await (await backend.bulk_members(payloads.members_of(app, 10 << 22, range(1, 4)), confirm=True))

    for future in (
        await backend.member_delete(hikari.Snowflake(99), hikari.Snowflake(10 << 22), confirm=True),
        await backend.guild_leave(hikari.Snowflake(12345), confirm=True),
        await backend.channel_delete(hikari.Snowflake(12345), confirm=True),
        await backend.role_delete(hikari.Snowflake(12345), confirm=True),
    ):
        await future

    assert await cachestate.member_ids(backend, 10 << 22) == {1, 2, 3}


async def test_clear_removes_only_the_kinds_asked_for(backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    data = payloads.guild_create_payload()
    await backend.guild_join(payloads.guild(app, data), confirm=False)
    await backend.bulk_channels(payloads.channels(app, data), confirm=False)
    await backend.bulk_members(payloads.members(app, data), confirm=False)
    await backend.bulk_roles(payloads.roles(app, data), confirm=False)

    await backend.clear(channels=True, guilds=False, members=True, roles=False)

    assert [c async for c in backend.iter_channels()] == []
    assert [m async for m in backend.iter_members()] == []
    assert len([g async for g in backend.iter_guilds()]) == 1
    assert len([r async for r in backend.iter_roles()]) == len(payloads.roles(app, data))
