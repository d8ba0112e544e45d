"""Drive a real ``hikari.GatewayBot`` as Discord's gateway would, without connecting to Discord.

Events are built by the bot's own event factory from gateway-shaped payloads and dispatched
through the bot's event manager, so listeners see exactly what they would in production.
"""

from __future__ import annotations

import typing

import hikari
import payloads
from hikari.impl import shard as shard_impl

from hikari_kura.client import Cache, GrpcBackend, WriteError

JSONObject = dict[str, typing.Any]


class ReadyShard(shard_impl.GatewayShardImpl):
    """A real shard, never connected, that answers as one that received Discord's READY would."""

    def get_user_id(self) -> hikari.Snowflake:
        return hikari.Snowflake(payloads.BOT_USER_ID)


def shard_of(bot: hikari.GatewayBot, shard_id: int = 0, shard_count: int = 1) -> ReadyShard:
    """Return a never-connected shard of ``bot`` with the given id and count."""
    return ReadyShard(
        intents=bot.intents,
        http_settings=bot.http_settings,
        proxy_settings=bot.proxy_settings,
        event_manager=bot.event_manager,
        event_factory=bot.event_factory,
        token="never.sent.anywhere",
        url="wss://gateway.invalid",
        shard_id=shard_id,
        shard_count=shard_count,
    )


def guild_id_on_shard(shard_id: int, shard_count: int, index: int) -> int:
    """Return the ``index``-th guild id that Discord serves on ``shard_id`` of ``shard_count``."""
    guild_id = ((1_000 + index) * shard_count + shard_id) << 22 | 7
    assert (guild_id >> 22) % shard_count == shard_id
    return guild_id


def small_guild_payload(guild_id: int, *, name: str = "Small Guild", channels: int = 2, members: int = 2) -> JSONObject:
    """Build a GUILD_CREATE payload: @everyone and one role, text channels with a thread each, members."""
    payload = payloads.guild_create_payload()
    role_id = guild_id + 100
    text_ids = [guild_id + 10 + i for i in range(channels)]
    payload.update(
        id=str(guild_id),
        name=name,
        member_count=members,
        roles=[
            payloads.role_payload(guild_id, name="@everyone", position=0, tags=payloads.OMIT),
            payloads.role_payload(role_id, name="Member", position=1, tags=payloads.OMIT),
        ],
        channels=[
            payloads.channel_payload(0, channel_id, name=f"text-{i}", parent_id=None)
            for i, channel_id in enumerate(text_ids)
        ],
        threads=[
            payloads.thread_payload(11, channel_id + 100, channel_id, guild_id=str(guild_id)) for channel_id in text_ids
        ],
        members=[
            payloads.member_payload(user_id(i), roles=[str(role_id)] if i % 2 == 0 else [], nick=f"member-{i}")
            for i in range(members)
        ],
    )
    return payload


def user_id(index: int) -> int:
    """Return the id of the ``index``-th test user."""
    return 1_100_000_000_000_000_000 + index


def ready_payload(shard: ReadyShard, guild_ids: typing.Iterable[int]) -> JSONObject:
    """Build the READY payload Discord sends a shard, announcing ``guild_ids`` as unavailable."""
    return {
        "v": 10,
        "user": {
            **payloads.user_payload(payloads.BOT_USER_ID, bot=True),
            "mfa_enabled": True,
            "verified": True,
            "flags": 0,
        },
        "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in guild_ids],
        "session_id": f"session-{shard.id}",
        "resume_gateway_url": "wss://gateway.invalid",
        "shard": [shard.id, shard.shard_count],
        "application": {"id": str(payloads.APPLICATION_ID), "flags": 0},
    }


class Gateway:
    """One bot process's view of the gateway: its shards, and events dispatched as Discord sends them."""

    def __init__(self, bot: hikari.GatewayBot, *, shard_ids: typing.Iterable[int] = (0,), shard_count: int = 1) -> None:
        self.bot = bot
        self.shards = {shard_id: shard_of(bot, shard_id, shard_count) for shard_id in shard_ids}
        self.factory = bot.event_factory

    @property
    def shard(self) -> ReadyShard:
        """Return the process's first shard."""
        return next(iter(self.shards.values()))

    async def dispatch(self, event: hikari.Event) -> None:
        """Dispatch ``event`` and wait until every listener has finished with it."""
        await self.bot.dispatch(event, return_tasks=True)

    async def start(self) -> None:
        await self.dispatch(hikari.StartingEvent(app=self.bot))

    async def stop(self) -> None:
        await self.dispatch(hikari.StoppedEvent(app=self.bot))

    async def ready(self, guild_ids: typing.Iterable[int], *, shard_id: int | None = None) -> None:
        shard = self.shard if shard_id is None else self.shards[shard_id]
        await self.dispatch(self.factory.deserialize_ready_event(shard, ready_payload(shard, guild_ids)))

    def shard_for(self, guild_id: int) -> ReadyShard:
        """Return the shard of this process that Discord serves ``guild_id`` on."""
        count = self.shard.shard_count
        return self.shards[(guild_id >> 22) % count]

    def guild_available(self, payload: JSONObject) -> hikari.GuildAvailableEvent:
        return self.factory.deserialize_guild_available_event(self.shard_for(int(payload["id"])), payload)

    def event(self, name: str, guild_id: int, payload: JSONObject) -> hikari.Event:
        """Build the event hikari makes of the gateway dispatch ``name`` (e.g. ``"guild_member_update"``)."""
        deserialize = getattr(self.factory, f"deserialize_{name}_event")
        return typing.cast(hikari.Event, deserialize(self.shard_for(guild_id), payload))


class Bot:
    """One bot process: a never-started GatewayBot, its Kura backend and its cache, and the gateway it listens to.

    The backend's failed writes (those handed to ``on_error``) are kept in ``failures``.
    """

    def __init__(
        self, target: str, *, shard_ids: typing.Iterable[int] = (0,), shard_count: int = 1, **options: typing.Any
    ) -> None:
        self.app = payloads.make_app()
        self.failures: list[WriteError] = []
        self.backend = GrpcBackend(target, app=self.app, on_error=self.failures.append)
        self.cache = Cache(self.app, self.backend, **options)
        self.gateway = Gateway(self.app, shard_ids=shard_ids, shard_count=shard_count)
