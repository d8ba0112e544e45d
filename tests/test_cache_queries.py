"""The cache's query API: views with ``where``/``get`` and the lazy ``CacheIterator`` helpers."""

from __future__ import annotations

import collections.abc
import pathlib
import typing

import hikari
import payloads
import pytest
from fidelity import assert_same_entity
from gateway import Gateway

from hikari_kura.client import Cache, GrpcBackend

NEW_USER, NEW_CHANNEL, NEW_ROLE, NEW_GUILD = (1_200_000_000_000_000_000 + i for i in range(4))


@pytest.fixture
async def stored(target: str) -> collections.abc.AsyncIterator[tuple[Cache, hikari.GuildAvailableEvent]]:
    """A cache holding the test guild, written through the event bridge."""
    app = payloads.make_app()
    backend = GrpcBackend(target, app=app)
    cache = Cache(app, backend)
    gateway = Gateway(app)
    await gateway.start()
    event = gateway.guild_available(payloads.guild_create_payload())
    await gateway.dispatch(event)
    await backend.flush()
    yield cache, event
    await gateway.stop()


async def test_get_reads_one_object_by_its_key(stored: tuple[Cache, hikari.GuildAvailableEvent]) -> None:
    cache, event = stored
    guild = await cache.guilds.get(payloads.GUILD_ID)
    assert guild is not None
    assert_same_entity(guild, event.guild)
    channel = await cache.channels.get(payloads.FORUM_ID)
    assert channel is not None
    assert_same_entity(channel, event.channels[hikari.Snowflake(payloads.FORUM_ID)])
    thread = await cache.channels.get(payloads.PRIVATE_THREAD_ID)
    assert thread is not None
    assert_same_entity(thread, event.threads[hikari.Snowflake(payloads.PRIVATE_THREAD_ID)])
    member = await cache.members.get(payloads.GUILD_ID, payloads.OWNER_ID)
    assert member is not None
    assert_same_entity(member, event.members[hikari.Snowflake(payloads.OWNER_ID)])
    role = await cache.roles.get(payloads.ROLE_ADMIN_ID)
    assert role is not None
    assert_same_entity(role, event.roles[hikari.Snowflake(payloads.ROLE_ADMIN_ID)])
    assert await cache.guilds.get(1) is None
    assert await cache.members.get(payloads.GUILD_ID, 1) is None


async def test_where_filters_by_the_query_fields(stored: tuple[Cache, hikari.GuildAvailableEvent]) -> None:
    cache, event = stored
    text = await cache.channels.where(guild_id=payloads.GUILD_ID, type=hikari.ChannelType.GUILD_TEXT).collect()
    assert [int(c.id) for c in text] == [payloads.TEXT_ID]
    under_category = {int(c.id) async for c in cache.channels.where(parent_id=payloads.CATEGORY_ID)}
    assert under_category == {int(c.id) for c in event.channels.values() if c.parent_id == payloads.CATEGORY_ID}
    assert [g.name async for g in cache.guilds.where(name="Kura Test Guild")] == ["Kura Test Guild"]
    assert await cache.guilds.where(name="no such guild").collect() == []
    managed = {int(r.id) async for r in cache.roles.where(guild_id=payloads.GUILD_ID, is_managed=True)}
    assert managed == {payloads.ROLE_BOT_ID, payloads.ROLE_BOOSTER_ID}
    assert await cache.members.all().count() == len(event.members)
    with pytest.raises(TypeError):
        cache.members.where(no_such_field=1)  # type: ignore[call-arg]


async def test_members_by_role_roles_of_a_member_and_threads_of_a_channel(
    stored: tuple[Cache, hikari.GuildAvailableEvent],
) -> None:
    cache, event = stored
    admins = {int(m.id) async for m in cache.members.with_role(payloads.ROLE_ADMIN_ID)}
    assert admins == {int(m.id) for m in event.members.values() if payloads.ROLE_ADMIN_ID in m.role_ids}
    assert admins  # the test guild has admins, so the filter had something to find
    role = event.roles[hikari.Snowflake(payloads.ROLE_BOT_ID)]
    assert [int(m.id) async for m in cache.members.with_role(role)] == [payloads.BOT_USER_ID]

    owner = event.members[hikari.Snowflake(payloads.OWNER_ID)]
    held = {int(r.id) async for r in cache.roles.of(owner)}
    assert held == {int(role_id) for role_id in owner.role_ids}
    assert payloads.GUILD_ID in held  # @everyone

    threads = [t async for t in cache.channels.threads_of(payloads.FORUM_ID)]
    assert [int(t.id) for t in threads] == [payloads.PUBLIC_THREAD_ID]
    assert all(isinstance(t, hikari.GuildThreadChannel) for t in threads)


async def test_iterator_helpers_over_real_results(stored: tuple[Cache, hikari.GuildAvailableEvent]) -> None:
    cache, event = stored
    members = cache.members.where(guild_id=payloads.GUILD_ID)
    ids = [int(m.id) async for m in members]
    assert sorted(ids) == sorted(int(m) for m in event.members)
    assert [int(m.id) for m in await members] == ids  # awaiting collects; iterating again re-reads
    assert await members.count() == len(ids)
    first, last = await members.first(), await members.last()
    assert first is not None and last is not None
    assert (int(first.id), int(last.id)) == (ids[0], ids[-1])
    assert await members.map(lambda m: int(m.id)).limit(2).collect() == ids[:2]
    assert await members.limit(0).collect() == []
    assert await members.filter(lambda m: m.is_bot).map(lambda m: int(m.id)).collect() == [payloads.BOT_USER_ID]
    assert await members.map(lambda m: int(m.id)).chunk(2).collect() == [ids[:2], ids[2:]]
    assert await members.map(lambda m: int(m.id)).enumerate(1).collect() == list(enumerate(ids, 1))
    found = await members.find(lambda m: m.is_system)
    assert found is not None and found.is_system
    assert await members.find(lambda m: m.nickname == "nobody") is None
    assert await members.any(lambda m: m.is_bot)
    assert not await members.all(lambda m: m.is_bot)
    assert await members.all(lambda m: m.guild_id == payloads.GUILD_ID)


async def test_persists_iterator_helpers_over_real_results(stored: tuple[Cache, hikari.GuildAvailableEvent]) -> None:
    cache, event = stored
    members = cache.members.where(guild_id=payloads.GUILD_ID)
    expected = list(event.members.values())
    by_id = sorted(int(m.id) for m in expected)
    newest = await members.max(key=lambda m: m.joined_at)
    oldest = await members.min(key=lambda m: m.joined_at)
    assert newest is not None and oldest is not None
    assert newest.joined_at == max(m.joined_at for m in expected)
    assert oldest.joined_at == min(m.joined_at for m in expected)
    assert [int(m.id) for m in await members.sort(key=lambda m: m.id, reverse=True)] == by_id[::-1]
    assert await members.reduce(lambda total, m: total + len(m.role_ids), 0) == sum(len(m.role_ids) for m in expected)
    assert await members.map(lambda m: int(m.id)).take_while(lambda i: i != by_id[2]).collect() == by_id[:2]
    assert await members.map(lambda m: int(m.id)).skip_while(lambda i: i != by_id[2]).collect() == by_id[2:]
    # hikari entities hash and compare by id: unique() keeps one of each member, a key one per value.
    assert await members.unique().count() == len(expected)
    assert len(await members.unique(key=lambda m: m.is_bot).collect()) == len({m.is_bot for m in expected})
    # A member's roles, read by a second query for each member: flat_map chains reads.
    held = await members.flat_map(lambda m: cache.roles.of(m)).map(lambda r: int(r.id)).collect()
    assert sorted(held) == sorted(int(role_id) for m in expected for role_id in m.role_ids)
    pairs = await members.map(lambda m: int(m.id)).zip(cache.guilds.all()).collect()
    assert [(member_id, int(guild.id)) for member_id, guild in pairs] == [(by_id[0], payloads.GUILD_ID)]
    assert await members.add_step(lambda m: (int(m.id), not m.is_bot, False)).collect() == [payloads.BOT_USER_ID]


async def test_get_fetches_a_miss_from_discord_only_when_asked(
    stored: tuple[Cache, hikari.GuildAvailableEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, _ = stored
    app = cache.bot
    backend = typing.cast(GrpcBackend, cache.backend)
    member = payloads.member(app, payloads.member_payload(NEW_USER, nick="fetched"))
    channel = payloads.channel(app, payloads.channel_payload(2, NEW_CHANNEL, name="fetched"))
    role = payloads.role(app, payloads.role_payload(NEW_ROLE, name="fetched", tags=payloads.OMIT))
    guild = app.entity_factory.deserialize_rest_guild({**payloads.guild_create_payload(), "id": str(NEW_GUILD)})
    fetched: list[str] = []

    # Discord itself cannot run here: REST answers with entities built by hikari's entity factory.
    async def fetch_member(self: object, guild_id: int, user_id: int) -> hikari.Member:
        fetched.append(f"member {guild_id} {user_id}")
        return member

    async def fetch_channel(self: object, channel_id: int) -> hikari.PartialChannel:
        fetched.append(f"channel {channel_id}")
        return channel

    async def fetch_role(self: object, guild_id: int, role_id: int) -> hikari.Role:
        fetched.append(f"role {guild_id} {role_id}")
        return role

    async def fetch_guild(self: object, guild_id: int) -> hikari.RESTGuild:
        fetched.append(f"guild {guild_id}")
        return guild

    for name, fake in (
        ("fetch_member", fetch_member),
        ("fetch_channel", fetch_channel),
        ("fetch_role", fetch_role),
        ("fetch_guild", fetch_guild),
    ):
        monkeypatch.setattr(type(app.rest), name, fake)

    assert await cache.members.get(payloads.GUILD_ID, NEW_USER) is None
    assert await cache.channels.get(NEW_CHANNEL) is None
    assert await cache.roles.get(NEW_ROLE) is None
    assert await cache.guilds.get(NEW_GUILD) is None
    assert fetched == []

    assert await cache.members.get(guild_id=payloads.GUILD_ID, member_id=NEW_USER, fetch_if_missing=True) is member
    assert await cache.channels.get(id=NEW_CHANNEL, fetch_if_missing=True) is channel
    assert await cache.roles.get(id=NEW_ROLE, guild_id_if_missing=payloads.GUILD_ID) is role
    assert await cache.guilds.get(id=NEW_GUILD, fetch_if_missing=True) is guild
    assert fetched == [
        f"member {payloads.GUILD_ID} {NEW_USER}",
        f"channel {NEW_CHANNEL}",
        f"role {payloads.GUILD_ID} {NEW_ROLE}",
        f"guild {NEW_GUILD}",
    ]

    # What was fetched is now cached (all but the REST guild), so the next get needs no REST call.
    await backend.flush()
    cached_member = await cache.members.get(payloads.GUILD_ID, NEW_USER, fetch_if_missing=True)
    assert cached_member is not None
    assert_same_entity(cached_member, member)
    cached_channel = await cache.channels.get(NEW_CHANNEL)
    assert cached_channel is not None
    assert_same_entity(cached_channel, channel)
    cached_role = await cache.roles.get(NEW_ROLE)
    assert cached_role is not None
    assert_same_entity(cached_role, role)
    assert await cache.guilds.get(NEW_GUILD) is None
    assert len(fetched) == 4


async def test_backup_then_restore_brings_the_cache_back(
    stored: tuple[Cache, hikari.GuildAvailableEvent], tmp_path: pathlib.Path
) -> None:
    cache, event = stored
    path = tmp_path / "cache.kura"
    await cache.backup(path)
    await cache.clear(channels=True, guilds=True, members=True, roles=True)
    assert await cache.guilds.all().count() == 0
    await cache.restore(str(path))
    guild = await cache.guilds.get(payloads.GUILD_ID)
    assert guild is not None
    assert_same_entity(guild, event.guild)
    assert await cache.members.all().count() == len(event.members)
