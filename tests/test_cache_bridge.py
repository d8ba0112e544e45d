"""``Cache(bot, backend)`` turns a real bot's gateway events into writes on a real server."""

from __future__ import annotations

import asyncio
import typing

import hikari
import payloads
import pytest
from fidelity import assert_same_entity
from gateway import Bot, guild_id_on_shard, small_guild_payload, user_id

from hikari_kura.client import Cache, CacheRules, ChannelQuery, GrpcBackend, GuildQuery, MemberQuery, RoleQuery

GUILD = guild_id_on_shard(0, 1, 0)


async def guild_ids(reader: GrpcBackend) -> set[int]:
    return {int(guild.id) async for guild in reader.iter_guilds()}


async def member_ids(reader: GrpcBackend, guild_id: int) -> set[int]:
    return {int(member.id) async for member in reader.iter_members(MemberQuery(guild_id=guild_id))}


async def channel_ids(reader: GrpcBackend, guild_id: int) -> set[int]:
    return {int(channel.id) async for channel in reader.iter_channels(ChannelQuery(guild_id=guild_id))}


async def test_an_available_guild_is_stored_whole(bot: Bot, backend: GrpcBackend) -> None:
    event = bot.gateway.guild_available(payloads.guild_create_payload())
    await bot.gateway.dispatch(event)
    await bot.backend.flush()

    (guild,) = [g async for g in backend.iter_guilds(GuildQuery(id=event.guild_id))]
    assert_same_entity(guild, event.guild)
    stored_channels = {c.id: c async for c in backend.iter_channels()}
    expected_channels = {**event.channels, **event.threads}
    assert stored_channels.keys() == expected_channels.keys()
    for channel_id, channel in expected_channels.items():
        assert_same_entity(stored_channels[channel_id], channel)
    stored_roles = {r.id: r async for r in backend.iter_roles(RoleQuery(guild_id=event.guild_id))}
    assert stored_roles.keys() == event.roles.keys()
    for role_id, role in event.roles.items():
        assert_same_entity(stored_roles[role_id], role)
    stored_members = {m.id: m async for m in backend.iter_members(MemberQuery(guild_id=event.guild_id))}
    assert stored_members.keys() == event.members.keys()
    for member_id, member in event.members.items():
        assert_same_entity(stored_members[member_id], member)


async def test_channel_thread_member_and_role_events_change_the_cache(bot: Bot, backend: GrpcBackend) -> None:
    gateway = bot.gateway
    await gateway.dispatch(gateway.guild_available(small_guild_payload(GUILD)))
    text_id, thread_id = GUILD + 10, GUILD + 10 + 100
    role_id = GUILD + 100

    renamed = gateway.event(
        "guild_channel_update", GUILD, payloads.channel_payload(0, text_id, name="renamed", guild_id=str(GUILD))
    )
    new_thread = gateway.event(
        "guild_thread_create", GUILD, payloads.thread_payload(12, GUILD + 300, text_id, guild_id=str(GUILD))
    )
    thread_gone = gateway.event(
        "guild_thread_delete",
        GUILD,
        {"id": str(thread_id), "guild_id": str(GUILD), "parent_id": str(text_id), "type": 11},
    )
    joined = gateway.event(
        "guild_member_add", GUILD, {**payloads.member_payload(user_id(50), nick="newcomer"), "guild_id": str(GUILD)}
    )
    updated = gateway.event(
        "guild_member_update",
        GUILD,
        {**payloads.member_payload(user_id(0), nick="changed", roles=[str(role_id)]), "guild_id": str(GUILD)},
    )
    chunk = gateway.event(
        "guild_member_chunk",
        GUILD,
        {
            "guild_id": str(GUILD),
            "members": [payloads.member_payload(user_id(i), nick=f"chunked-{i}") for i in (60, 61, 62)],
            "chunk_index": 0,
            "chunk_count": 1,
        },
    )
    left = gateway.event(
        "guild_member_remove", GUILD, {"guild_id": str(GUILD), "user": payloads.user_payload(user_id(1))}
    )
    role_gone = gateway.event("guild_role_delete", GUILD, {"guild_id": str(GUILD), "role_id": str(role_id)})
    for event in (renamed, new_thread, thread_gone, joined, updated, chunk, left, role_gone):
        await gateway.dispatch(event)
    await bot.backend.flush()

    channels = {int(c.id): c async for c in backend.iter_channels(ChannelQuery(guild_id=GUILD))}
    assert channels.keys() == {GUILD + 10, GUILD + 11, GUILD + 11 + 100, GUILD + 300}
    assert channels[text_id].name == "renamed"
    assert_same_entity(channels[GUILD + 300], typing.cast(hikari.GuildThreadCreateEvent, new_thread).thread)
    members = {int(m.id): m async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    assert members.keys() == {user_id(0), user_id(50), user_id(60), user_id(61), user_id(62)}
    assert_same_entity(members[user_id(50)], typing.cast(hikari.MemberCreateEvent, joined).member)
    assert members[user_id(0)].nickname == "changed"
    assert members[user_id(0)].role_ids == [GUILD]  # @everyone stays; the deleted role was taken from its holder
    assert members[user_id(61)].nickname == "chunked-61"
    assert {int(r.id) async for r in backend.iter_roles(RoleQuery(guild_id=GUILD))} == {GUILD}


async def test_guild_update_channel_delete_and_guild_leave(bot: Bot, backend: GrpcBackend) -> None:
    gateway = bot.gateway
    other = guild_id_on_shard(0, 1, 1)
    await gateway.dispatch(gateway.guild_available(small_guild_payload(GUILD)))
    await gateway.dispatch(gateway.guild_available(small_guild_payload(other)))
    update = small_guild_payload(GUILD, name="Renamed Guild")
    update["roles"].append(payloads.role_payload(GUILD + 101, name="Fresh", tags=payloads.OMIT))
    role_create = {
        "guild_id": str(GUILD),
        "role": payloads.role_payload(GUILD + 102, name="Created", tags=payloads.OMIT),
    }
    role_update = {
        "guild_id": str(GUILD),
        "role": payloads.role_payload(GUILD + 100, name="Edited", tags=payloads.OMIT),
    }
    for event in (
        gateway.event("guild_update", GUILD, update),
        gateway.event("guild_role_create", GUILD, role_create),
        gateway.event("guild_role_update", GUILD, role_update),
        # Deleting a text channel takes its thread with it.
        gateway.event("guild_channel_delete", GUILD, payloads.channel_payload(0, GUILD + 10, guild_id=str(GUILD))),
        gateway.event("guild_leave", other, {"id": str(other)}),
    ):
        await gateway.dispatch(event)
    await bot.backend.flush()

    assert await guild_ids(backend) == {GUILD}
    assert [g.name async for g in backend.iter_guilds()] == ["Renamed Guild"]
    roles = {int(r.id): r.name async for r in backend.iter_roles(RoleQuery(guild_id=GUILD))}
    assert roles == {GUILD: "@everyone", GUILD + 100: "Edited", GUILD + 101: "Fresh", GUILD + 102: "Created"}
    assert await channel_ids(backend, GUILD) == {GUILD + 11, GUILD + 111}
    assert await channel_ids(backend, other) == set()
    assert await member_ids(backend, other) == set()
    assert [r async for r in backend.iter_roles(RoleQuery(guild_id=other))] == []


async def test_thread_update_access_and_list_sync(bot: Bot, backend: GrpcBackend) -> None:
    gateway = bot.gateway
    await gateway.dispatch(gateway.guild_available(small_guild_payload(GUILD, channels=1)))
    text_id = GUILD + 10
    archived = payloads.thread_payload(11, text_id + 100, text_id, guild_id=str(GUILD), name="archived")
    archived["thread_metadata"] = {**archived["thread_metadata"], "archived": True}
    synced = [payloads.thread_payload(11, GUILD + 400 + i, text_id, guild_id=str(GUILD)) for i in range(3)]
    for event in (
        gateway.event("guild_thread_update", GUILD, archived),
        gateway.event(
            "guild_thread_access", GUILD, payloads.thread_payload(12, GUILD + 500, text_id, guild_id=str(GUILD))
        ),
        gateway.event(
            "thread_list_sync",
            GUILD,
            {"guild_id": str(GUILD), "channel_ids": [str(text_id)], "threads": synced, "members": []},
        ),
    ):
        await gateway.dispatch(event)
    await bot.backend.flush()

    threads = {int(t.id): t async for t in bot.cache.channels.threads_of(text_id)}
    assert threads.keys() == {text_id + 100, GUILD + 500, GUILD + 400, GUILD + 401, GUILD + 402}
    assert threads[text_id + 100].name == "archived"
    assert threads[text_id + 100].is_archived


async def test_listeners_with_confirm_read_what_their_event_wrote(bot: Bot) -> None:
    gateway = bot.gateway
    cache = bot.cache
    await gateway.dispatch(gateway.guild_available(small_guild_payload(GUILD)))
    seen: list[str | None] = []

    @cache.listen(confirm=True)
    async def on_update(event: hikari.MemberUpdateEvent) -> None:
        member = await cache.members.get(event.guild_id, event.user.id)
        assert member is not None
        seen.append(member.nickname)

    for i in range(20):
        payload = {**payloads.member_payload(user_id(0), nick=f"nick-{i}"), "guild_id": str(GUILD)}
        await gateway.dispatch(gateway.event("guild_member_update", GUILD, payload))
    # Each listener ran after its own event's write was committed, and before the next event.
    assert seen == [f"nick-{i}" for i in range(20)]


async def test_a_listener_runs_once_for_its_event_type_and_subclasses(bot: Bot) -> None:
    gateway = bot.gateway
    cache = bot.cache
    calls: list[str] = []

    @cache.listen(hikari.MemberCreateEvent)
    async def specific(event: hikari.MemberCreateEvent) -> None:
        calls.append("specific")

    # The cache's own subscriptions never warn; a listener's warns as the bot's would (no GUILD_MEMBERS intent).
    with pytest.warns(hikari.MissingIntentWarning):

        @cache.listen(hikari.MemberEvent, confirm=True)
        async def base(event: hikari.MemberEvent) -> None:
            calls.append("base")

    @cache.listen(hikari.Event)
    async def everything(event: hikari.Event) -> None:
        calls.append(f"event:{type(event).__name__}")

    payload = {**payloads.member_payload(user_id(3)), "guild_id": str(GUILD)}
    await gateway.dispatch(gateway.event("guild_member_add", GUILD, payload))
    assert sorted(calls) == ["base", "event:MemberCreateEvent", "specific"]

    cache.unsubscribe(hikari.MemberCreateEvent, specific)
    calls.clear()
    await gateway.dispatch(gateway.event("guild_member_add", GUILD, payload))
    assert sorted(calls) == ["base", "event:MemberCreateEvent"]


async def test_a_failing_listener_becomes_an_exception_event(bot: Bot) -> None:
    gateway = bot.gateway
    failures: list[hikari.ExceptionEvent[typing.Any]] = []

    @bot.cache.listen(confirm=True)
    async def broken(event: hikari.RoleCreateEvent) -> None:
        raise RuntimeError("listener bug")

    @bot.app.listen(hikari.ExceptionEvent)
    async def on_exception(event: hikari.ExceptionEvent[typing.Any]) -> None:
        failures.append(event)

    role = {"guild_id": str(GUILD), "role": payloads.role_payload(GUILD + 102, tags=payloads.OMIT)}
    await gateway.dispatch(gateway.event("guild_role_create", GUILD, role))
    for _ in range(100):
        if failures:
            break
        await asyncio.sleep(0.01)
    (failure,) = failures
    assert isinstance(failure.exception, RuntimeError)
    assert isinstance(failure.failed_event, hikari.RoleCreateEvent)
    assert failure.failed_callback is broken
    assert await bot.cache.roles.get(GUILD + 102) is not None  # the write itself went through


def test_listen_needs_an_event_type() -> None:
    app = payloads.make_app()
    cache = Cache(app, GrpcBackend("127.0.0.1:1", app=app))

    async def unannotated(event):  # type: ignore[no-untyped-def]
        """A listener whose event type cannot be told."""

    with pytest.raises(TypeError, match="cannot tell the event type"):
        cache.listen()(unannotated)
    with pytest.raises(TypeError, match="not a hikari event type"):
        cache.subscribe(int, unannotated)  # type: ignore[arg-type]


async def test_writes_keep_dispatch_order_under_concurrent_events(bot: Bot, backend: GrpcBackend) -> None:
    gateway = bot.gateway
    events = [
        gateway.event(
            "guild_member_update",
            GUILD,
            {**payloads.member_payload(user_id(i % 4), nick=f"n{i}"), "guild_id": str(GUILD)},
        )
        for i in range(400)
    ]
    # Dispatched without waiting, as the gateway does: hikari runs each event's handling as its own task.
    await asyncio.gather(*(gateway.dispatch(event) for event in events))
    await bot.backend.flush()
    nicks = {int(m.id): m.nickname async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}
    assert nicks == {user_id(i): f"n{396 + i}" for i in range(4)}


async def test_rules_choose_what_is_cached(target: str, backend: GrpcBackend) -> None:
    bot = Bot(
        target,
        rules=CacheRules(
            guilds=True,
            channels=lambda channel: channel.type is hikari.ChannelType.GUILD_TEXT,
            members=lambda member: not member.is_bot,
            roles=False,
        ),
    )
    await bot.gateway.start()
    gateway = bot.gateway
    event = gateway.guild_available(payloads.guild_create_payload())
    await gateway.dispatch(event)
    new_role = {"guild_id": str(payloads.GUILD_ID), "role": payloads.role_payload(GUILD + 1, tags=payloads.OMIT)}
    await gateway.dispatch(gateway.event("guild_role_create", payloads.GUILD_ID, new_role))
    bot_member = {
        **payloads.member_payload(payloads.BOT_USER_ID, user={"bot": True}, nick="renamed bot"),
        "guild_id": str(payloads.GUILD_ID),
    }
    await gateway.dispatch(gateway.event("guild_member_update", payloads.GUILD_ID, bot_member))
    await bot.gateway.stop()

    assert await guild_ids(backend) == {payloads.GUILD_ID}
    assert await channel_ids(backend, payloads.GUILD_ID) == {payloads.TEXT_ID}
    expected_members = {int(m.id) for m in event.members.values() if not m.is_bot}
    assert await member_ids(backend, payloads.GUILD_ID) == expected_members
    assert [r async for r in backend.iter_roles()] == []


async def test_stopping_disconnects_after_every_write_is_committed(target: str, backend: GrpcBackend) -> None:
    bot = Bot(target)
    await bot.gateway.start()
    assert bot.backend.session_id is not None
    gateway = bot.gateway
    for i in range(50):
        payload = small_guild_payload(guild_id_on_shard(0, 1, i), members=20)
        await gateway.dispatch(gateway.guild_available(payload))
    await gateway.stop()
    assert bot.backend.session_id is None
    assert len(await guild_ids(backend)) == 50
    assert len(await member_ids(backend, guild_id_on_shard(0, 1, 49))) == 20


async def test_prune_waits_for_every_ready_guild_then_removes_the_stale_ones(target: str, backend: GrpcBackend) -> None:
    kept, left_while_away, late = (guild_id_on_shard(0, 1, i) for i in range(3))
    first = Bot(target)
    await first.gateway.start()
    await first.gateway.ready([kept, left_while_away])
    for guild_id in (kept, left_while_away):
        await first.gateway.dispatch(first.gateway.guild_available(small_guild_payload(guild_id, channels=3)))
    await first.gateway.stop()

    second = Bot(target)
    gateway = second.gateway
    await gateway.start()
    await gateway.ready([kept, late])
    # One channel of `kept` was deleted while the bot was away: its GUILD_CREATE no longer has it.
    await gateway.dispatch(gateway.guild_available(small_guild_payload(kept, channels=2)))
    await second.backend.flush()
    assert second.cache.waiting_guilds(0) == 1
    assert await guild_ids(backend) == {kept, left_while_away}  # `late` has not arrived: nothing is pruned yet

    await gateway.dispatch(gateway.guild_available(small_guild_payload(late)))
    assert second.cache.waiting_guilds(0) == 0
    assert await guild_ids(backend) == {kept, late}
    assert await channel_ids(backend, kept) == {kept + 10, kept + 11, kept + 110, kept + 111}
    assert await member_ids(backend, left_while_away) == set()
    await gateway.stop()


async def test_a_guild_left_before_it_arrived_does_not_hold_up_the_prune(target: str, backend: GrpcBackend) -> None:
    stale, gone = guild_id_on_shard(0, 1, 0), guild_id_on_shard(0, 1, 1)
    first = Bot(target)
    await first.gateway.start()
    await first.gateway.dispatch(first.gateway.guild_available(small_guild_payload(stale)))
    await first.gateway.stop()

    second = Bot(target)
    gateway = second.gateway
    await gateway.start()
    await gateway.ready([gone])
    await gateway.dispatch(gateway.event("guild_leave", gone, {"id": str(gone)}))
    assert await guild_ids(backend) == set()
    await gateway.stop()


async def test_prune_on_ready_can_be_turned_off(target: str, backend: GrpcBackend) -> None:
    stale = guild_id_on_shard(0, 1, 0)
    first = Bot(target)
    await first.gateway.start()
    await first.gateway.dispatch(first.gateway.guild_available(small_guild_payload(stale)))
    await first.gateway.stop()

    second = Bot(target, prune_on_ready=False)
    await second.gateway.start()
    await second.gateway.ready([])
    await second.backend.flush()
    assert await guild_ids(backend) == {stale}
    await second.cache.prune()  # by hand, when the bot decides
    assert await guild_ids(backend) == set()
    await second.gateway.stop()


async def test_two_shards_sharing_a_server_never_prune_each_other(target: str, backend: GrpcBackend) -> None:
    """Shards 0 and 1 of one application run as two processes; each restarts and prunes in turn."""
    shard0 = [guild_id_on_shard(0, 2, i) for i in range(3)]
    shard1 = [guild_id_on_shard(1, 2, i) for i in range(3)]

    async def run(shard_id: int, guilds: list[int], *, channels: int = 2) -> Bot:
        bot = Bot(target, shard_ids=[shard_id], shard_count=2)
        await bot.gateway.start()
        await bot.gateway.ready(guilds)
        for guild_id in guilds:
            await bot.gateway.dispatch(bot.gateway.guild_available(small_guild_payload(guild_id, channels=channels)))
        await bot.backend.flush()
        return bot

    first0 = await run(0, shard0)
    first1 = await run(1, shard1)
    assert await guild_ids(backend) == {*shard0, *shard1}

    # Shard 0 restarts having left its last guild; shard 1 stays connected throughout.
    await first0.gateway.stop()
    second0 = await run(0, shard0[:2], channels=1)
    assert await guild_ids(backend) == {*shard0[:2], *shard1}
    assert await channel_ids(backend, shard0[0]) == {shard0[0] + 10, shard0[0] + 110}
    assert await channel_ids(backend, shard1[0]) == {shard1[0] + 10, shard1[0] + 11, shard1[0] + 110, shard1[0] + 111}

    # Shard 1 goes away and comes back without its first guild, while shard 0 stays connected.
    await first1.gateway.stop()
    second1 = await run(1, shard1[1:])
    assert await guild_ids(backend) == {*shard0[:2], *shard1[1:]}

    # Shard 0 restarts while shard 1 is down: shard 1's data is not shard 0's to prune.
    await second1.gateway.stop()
    await second0.gateway.stop()
    third0 = await run(0, shard0[:1])
    assert await guild_ids(backend) == {shard0[0], *shard1[1:]}
    assert await member_ids(backend, shard1[1]) == {user_id(0), user_id(1)}
    await third0.gateway.stop()


async def test_shards_of_one_process_prune_only_their_own_guilds(target: str, backend: GrpcBackend) -> None:
    """Two shards share one process and session: shard 0 finishing must not prune shard 1's late guilds."""
    shard0, shard1 = guild_id_on_shard(0, 2, 0), guild_id_on_shard(1, 2, 0)
    first = Bot(target, shard_ids=[0, 1], shard_count=2)
    await first.gateway.start()
    for guild_id in (shard0, shard1):
        await first.gateway.dispatch(first.gateway.guild_available(small_guild_payload(guild_id)))
    await first.gateway.stop()

    second = Bot(target, shard_ids=[0, 1], shard_count=2)
    gateway = second.gateway
    await gateway.start()
    await gateway.ready([shard0], shard_id=0)
    await gateway.ready([shard1], shard_id=1)
    await gateway.dispatch(gateway.guild_available(small_guild_payload(shard0)))
    # Shard 0 pruned; shard 1's guild, written only by the old session, is still awaited and stays.
    assert await guild_ids(backend) == {shard0, shard1}
    assert await member_ids(backend, shard1) == {user_id(0), user_id(1)}
    await gateway.stop()
