"""Gateway events become cache writes: the part of ``Cache`` that knows what each event means.

Writes are issued in the order hikari dispatches the events, whatever the backend's methods
await internally, so the cache sees Discord's order. Once a shard has every guild its READY
announced, the shard's stale data (what no connected session wrote again) is pruned.

An object the backend cannot store need not cost the rest of its event: ``GrpcBackend`` fails a
single write of it alone (reported as a failed write), and where the backend can
(``SkipsUnstorable``) the bulks (a GUILD_CREATE's channels, roles and members, member chunks,
thread list syncs) leave it out, reported the same way, and store the others. Another backend
gets its plain calls.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import itertools
import logging
import typing

import hikari

from hikari_kura.client import backend as backend_
from hikari_kura.client import readiness, rules

_LOGGER = logging.getLogger(__name__)

Commits = list["asyncio.Future[None]"]
"""Futures that complete once each write an event caused is committed (empty without confirm)."""


@typing.runtime_checkable
class ShardPruning(typing.Protocol):
    """A backend that can prune one shard's guilds alone, as ``GrpcBackend`` can."""

    async def prune_shard(self, shard_id: int, shard_count: int) -> None:
        """Prune only the guilds of one shard."""


@typing.runtime_checkable
class SkipsUnstorable(typing.Protocol):
    """A backend whose bulk writes can leave out the objects it cannot store and keep the rest, as ``GrpcBackend``'s.

    Within ``skipping_unstorable()`` each object left out is reported as a failed write (logged with its
    kind, ids and reason, counted, passed to the error callback).
    """

    def skipping_unstorable(self) -> contextlib.AbstractContextManager[None]:
        """Return a context within which bulk writes leave out, and report, what cannot be stored."""


_Handler = collections.abc.Callable[[typing.Any, bool], collections.abc.Awaitable[Commits]]


class EventBridge:
    """Turn hikari gateway events into writes on a ``Backend``, filtered by ``CacheRules``."""

    def __init__(self, backend: backend_.Backend, rules_: rules.CacheRules, *, prune_on_ready: bool) -> None:
        self._backend = backend
        self._rules = rules_
        self._prune_on_ready = prune_on_ready
        self._ready = readiness.ReadyGuilds()
        # Held while an event's writes are issued: events issue in dispatch order, even through
        # a backend whose write methods suspend before they enqueue.
        self._issuing = asyncio.Lock()
        self._handlers: dict[type[hikari.Event], _Handler] = {
            hikari.ShardReadyEvent: self._shard_ready,
            hikari.GuildAvailableEvent: self._guild_visible,
            hikari.GuildJoinEvent: self._guild_visible,
            hikari.GuildUpdateEvent: self._guild_update,
            hikari.GuildLeaveEvent: self._guild_leave,
            hikari.GuildChannelCreateEvent: self._channel_create,
            hikari.GuildChannelUpdateEvent: self._channel_update,
            hikari.GuildChannelDeleteEvent: self._channel_delete,
            hikari.GuildThreadCreateEvent: self._thread_create,
            hikari.GuildThreadAccessEvent: self._thread_create,
            hikari.GuildThreadUpdateEvent: self._thread_update,
            hikari.GuildThreadDeleteEvent: self._thread_delete,
            hikari.ThreadListSyncEvent: self._thread_list_sync,
            hikari.MemberCreateEvent: self._member_create,
            hikari.MemberUpdateEvent: self._member_update,
            hikari.MemberDeleteEvent: self._member_delete,
            hikari.MemberChunkEvent: self._member_chunk,
            hikari.RoleCreateEvent: self._role_create,
            hikari.RoleUpdateEvent: self._role_update,
            hikari.RoleDeleteEvent: self._role_delete,
        }

    @property
    def event_types(self) -> collections.abc.Collection[type[hikari.Event]]:
        """Return the event types that cause cache writes."""
        return self._handlers.keys()

    @property
    def ready_guilds(self) -> readiness.ReadyGuilds:
        """Return what each shard's READY announced and what has arrived."""
        return self._ready

    async def write(self, event: hikari.Event, *, confirm: bool) -> Commits:
        """Issue the writes ``event`` causes; with ``confirm``, return futures of their commits."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return []
        async with self._issuing:
            with self._keeping_what_can_be_stored():
                commits = await handler(event, confirm)
            complete = isinstance(event, hikari.ShardEvent) and self._should_prune(event)
        if complete and isinstance(event, hikari.ShardEvent):
            await self._prune(event.shard.id)
        return commits

    def _keeping_what_can_be_stored(self) -> contextlib.AbstractContextManager[None]:
        """Return the context an event's writes are issued in: bulks skip what cannot be stored, where they can."""
        if isinstance(self._backend, SkipsUnstorable):
            return self._backend.skipping_unstorable()
        return contextlib.nullcontext()

    # -- readiness and prune -------------------------------------------------------------------

    def _should_prune(self, event: hikari.ShardEvent) -> bool:
        if not self._prune_on_ready:
            return False
        shard_id = event.shard.id
        if isinstance(event, hikari.ShardReadyEvent):
            return self._ready.ready(shard_id, event.shard.shard_count, event.unavailable_guilds)
        if isinstance(event, (hikari.GuildAvailableEvent, hikari.GuildJoinEvent, hikari.GuildLeaveEvent)):
            return self._ready.arrived(shard_id, event.guild_id)
        return False

    async def _prune(self, shard_id: int) -> None:
        """Remove the shard's stale data; the prune is ordered after every write issued before it."""
        if not isinstance(self._backend, ShardPruning):
            _LOGGER.warning(
                "backend cannot prune one shard's guilds, so stale data stays; call Cache.prune() "
                "once every shard has its guilds backend=%s",
                type(self._backend).__name__,
            )
            return
        shard_count = self._ready.shard_count(shard_id)
        _LOGGER.info("pruning stale data shard_id=%s shard_count=%s", shard_id, shard_count)
        await self._backend.prune_shard(shard_id, shard_count)

    # -- handlers: each issues its writes and returns their commit futures ------------------------

    async def _shard_ready(self, event: hikari.ShardReadyEvent, confirm: bool) -> Commits:
        return []

    async def _guild_visible(self, event: hikari.GuildAvailableEvent | hikari.GuildJoinEvent, confirm: bool) -> Commits:
        """Store a guild that arrived whole: the guild, its channels and threads, roles and members."""
        commits: Commits = []
        if self._rules.allows_guild(event.guild):
            _add(commits, await self._backend.guild_join(event.guild, confirm))
        channels = self._rules.keep_channels(itertools.chain(event.channels.values(), event.threads.values()))
        if channels:
            _add(commits, await self._backend.bulk_channels(channels, confirm))
        roles = self._rules.keep_roles(event.roles.values())
        if roles:
            _add(commits, await self._backend.bulk_roles(roles, confirm))
        members = self._rules.keep_members(event.members.values())
        if members:
            _add(commits, await self._backend.bulk_members(members, confirm))
        return commits

    async def _guild_update(self, event: hikari.GuildUpdateEvent, confirm: bool) -> Commits:
        commits: Commits = []
        if self._rules.allows_guild(event.guild):
            _add(commits, await self._backend.guild_update(event.guild, confirm))
        roles = self._rules.keep_roles(event.roles.values())
        if roles:
            _add(commits, await self._backend.bulk_roles(roles, confirm))
        return commits

    async def _guild_leave(self, event: hikari.GuildLeaveEvent, confirm: bool) -> Commits:
        """Forget the guild and everything in it."""
        return _listed(await self._backend.guild_leave(event.guild_id, confirm))

    async def _channel_create(self, event: hikari.GuildChannelCreateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_channel(event.channel):
            return []
        return _listed(await self._backend.channel_create(event.channel, confirm))

    async def _channel_update(self, event: hikari.GuildChannelUpdateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_channel(event.channel):
            return []
        return _listed(await self._backend.channel_update(event.channel, confirm))

    async def _channel_delete(self, event: hikari.GuildChannelDeleteEvent, confirm: bool) -> Commits:
        """Forget the channel and the threads under it."""
        return _listed(await self._backend.channel_delete(event.channel_id, confirm))

    async def _thread_create(
        self, event: hikari.GuildThreadCreateEvent | hikari.GuildThreadAccessEvent, confirm: bool
    ) -> Commits:
        if not self._rules.allows_channel(event.thread):
            return []
        return _listed(await self._backend.channel_create(event.thread, confirm))

    async def _thread_update(self, event: hikari.GuildThreadUpdateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_channel(event.thread):
            return []
        return _listed(await self._backend.channel_update(event.thread, confirm))

    async def _thread_delete(self, event: hikari.GuildThreadDeleteEvent, confirm: bool) -> Commits:
        return _listed(await self._backend.channel_delete(event.thread_id, confirm))

    async def _thread_list_sync(self, event: hikari.ThreadListSyncEvent, confirm: bool) -> Commits:
        threads = self._rules.keep_channels(event.threads.values())
        if not threads:
            return []
        return _listed(await self._backend.bulk_channels(threads, confirm))

    async def _member_create(self, event: hikari.MemberCreateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_member(event.member):
            return []
        return _listed(await self._backend.member_create(event.member, confirm))

    async def _member_update(self, event: hikari.MemberUpdateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_member(event.member):
            return []
        return _listed(await self._backend.member_update(event.member, confirm))

    async def _member_delete(self, event: hikari.MemberDeleteEvent, confirm: bool) -> Commits:
        return _listed(await self._backend.member_delete(event.user_id, event.guild_id, confirm))

    async def _member_chunk(self, event: hikari.MemberChunkEvent, confirm: bool) -> Commits:
        members = self._rules.keep_members(event.members.values())
        if not members:
            return []
        return _listed(await self._backend.bulk_members(members, confirm))

    async def _role_create(self, event: hikari.RoleCreateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_role(event.role):
            return []
        return _listed(await self._backend.role_create(event.role, confirm))

    async def _role_update(self, event: hikari.RoleUpdateEvent, confirm: bool) -> Commits:
        if not self._rules.allows_role(event.role):
            return []
        return _listed(await self._backend.role_update(event.role, confirm))

    async def _role_delete(self, event: hikari.RoleDeleteEvent, confirm: bool) -> Commits:
        """Forget the role and take it from its members."""
        return _listed(await self._backend.role_delete(event.role_id, confirm))


def _add(commits: Commits, future: asyncio.Future[None] | None) -> None:
    if future is not None:
        commits.append(future)


def _listed(future: asyncio.Future[None] | None) -> Commits:
    return [] if future is None else [future]
