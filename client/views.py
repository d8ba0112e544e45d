"""Query views of the cache: ``cache.guilds``, ``cache.channels``, ``cache.members``, ``cache.roles``.

``where(**filters)`` takes exactly the fields of the kind's query (``queries.MemberQuery`` and
so on), type-checked as keyword arguments, and returns a lazy ``CacheIterator``. ``get`` reads
one object by its key, with the keyword names of the library Kura replaces, and can fetch a
miss from Discord's REST API.
"""

from __future__ import annotations

import collections.abc
import logging
import typing

import hikari

from hikari_kura.client import backend as backend_
from hikari_kura.client import iterators, queries

_LOGGER = logging.getLogger(__name__)

P = typing.ParamSpec("P")
Q = typing.TypeVar("Q")
T = typing.TypeVar("T")


class View(typing.Generic[P, Q, T]):
    """Queries of one kind of object, read through a backend's ``iter_*`` method."""

    __slots__ = ("_iterate", "_query")

    def __init__(
        self,
        query: collections.abc.Callable[P, Q],
        iterate: collections.abc.Callable[[Q | None], collections.abc.AsyncIterator[T]],
    ) -> None:
        self._query = query
        self._iterate = iterate

    def all(self) -> iterators.CacheIterator[T]:
        """Return every cached object of this kind."""
        return iterators.CacheIterator(lambda: self._iterate(None))

    def where(self, *args: P.args, **filters: P.kwargs) -> iterators.CacheIterator[T]:
        """Return the objects equal to every filter given, e.g. ``where(guild_id=..., type=...)``."""
        query = self._query(*args, **filters)
        return iterators.CacheIterator(lambda: self._iterate(query))


class GuildView:
    """Cached guilds."""

    __slots__ = ("_rest", "all", "where")

    def __init__(self, backend: backend_.Backend, rest: hikari.api.RESTClient) -> None:
        view = View(queries.GuildQuery, backend.iter_guilds)
        self._rest = rest
        self.all = view.all
        self.where = view.where

    async def get(self, id: hikari.Snowflakeish, *, fetch_if_missing: bool = False) -> hikari.Guild | None:
        """Return the guild with this id: on a miss None, or with ``fetch_if_missing`` Discord's answer.

        A fetched guild is not stored: REST returns a ``RESTGuild``, not the gateway's guild the
        cache holds, and the guild's next GUILD_CREATE stores it.
        """
        guild = await self.where(id=id).first()
        if guild is None and fetch_if_missing:
            _LOGGER.debug("guild not cached, fetching it guild_id=%s", id)
            return await self._rest.fetch_guild(id)
        return guild


class ChannelView:
    """Cached guild channels and threads."""

    __slots__ = ("_backend", "_rest", "all", "where")

    def __init__(self, backend: backend_.Backend, rest: hikari.api.RESTClient) -> None:
        view = View(queries.ChannelQuery, backend.iter_channels)
        self._backend = backend
        self._rest = rest
        self.all = view.all
        self.where = view.where

    async def get(self, id: hikari.Snowflakeish, *, fetch_if_missing: bool = False) -> hikari.GuildChannel | None:
        """Return the channel or thread with this id: on a miss None, or fetched from Discord and stored."""
        channel = await self.where(id=id).first()
        if channel is None and fetch_if_missing:
            _LOGGER.debug("channel not cached, fetching it channel_id=%s", id)
            fetched = await self._rest.fetch_channel(id)
            if not isinstance(fetched, hikari.GuildChannel):
                return None
            await self._backend.channel_create(fetched, confirm=False)
            return fetched
        return channel

    def threads_of(self, channel_id: hikari.Snowflakeish, /) -> iterators.CacheIterator[hikari.GuildThreadChannel]:
        """Return the cached threads whose parent is this channel."""
        return self.where(parent_id=channel_id).filter(_is_thread).map(_as_thread)


class MemberView:
    """Cached guild members with their users."""

    __slots__ = ("_backend", "_rest", "all", "where")

    def __init__(self, backend: backend_.Backend, rest: hikari.api.RESTClient) -> None:
        view = View(queries.MemberQuery, backend.iter_members)
        self._backend = backend
        self._rest = rest
        self.all = view.all
        self.where = view.where

    async def get(
        self, guild_id: hikari.Snowflakeish, member_id: hikari.Snowflakeish, *, fetch_if_missing: bool = False
    ) -> hikari.Member | None:
        """Return the guild's member with this user id: on a miss None, or fetched from Discord and stored."""
        member = await self.where(guild_id=guild_id, id=member_id).first()
        if member is None and fetch_if_missing:
            _LOGGER.debug("member not cached, fetching it guild_id=%s user_id=%s", guild_id, member_id)
            member = await self._rest.fetch_member(guild_id, member_id)
            await self._backend.member_create(member, confirm=False)
        return member

    def with_role(self, role: hikari.SnowflakeishOr[hikari.PartialRole], /) -> iterators.CacheIterator[hikari.Member]:
        """Return the members who hold this role."""
        return self.where(role_id=hikari.Snowflake(role))


class RoleView:
    """Cached guild roles."""

    __slots__ = ("_backend", "_rest", "all", "where")

    def __init__(self, backend: backend_.Backend, rest: hikari.api.RESTClient) -> None:
        view = View(queries.RoleQuery, backend.iter_roles)
        self._backend = backend
        self._rest = rest
        self.all = view.all
        self.where = view.where

    async def get(
        self, id: hikari.Snowflakeish, *, guild_id_if_missing: hikari.Snowflakeish | None = None
    ) -> hikari.Role | None:
        """Return the role with this id: on a miss None, or, given its guild, fetched from Discord and stored."""
        role = await self.where(id=id).first()
        if role is None and guild_id_if_missing is not None:
            _LOGGER.debug("role not cached, fetching it guild_id=%s role_id=%s", guild_id_if_missing, id)
            role = await self._rest.fetch_role(guild_id_if_missing, id)
            await self._backend.role_create(role, confirm=False)
        return role

    def of(self, member: hikari.Member, /) -> iterators.CacheIterator[hikari.Role]:
        """Return the cached roles this member holds, @everyone included when cached."""
        held = {*member.role_ids, member.guild_id}
        return self.where(guild_id=member.guild_id).filter(lambda role: role.id in held)


def _is_thread(channel: hikari.GuildChannel) -> bool:
    return isinstance(channel, hikari.GuildThreadChannel)


def _as_thread(channel: hikari.GuildChannel) -> hikari.GuildThreadChannel:
    return typing.cast(hikari.GuildThreadChannel, channel)
