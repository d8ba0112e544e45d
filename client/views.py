"""Query views of the cache: ``cache.guilds``, ``cache.channels``, ``cache.members``, ``cache.roles``.

``where(**filters)`` takes exactly the fields of the kind's query (``queries.MemberQuery`` and
so on), type-checked as keyword arguments, and returns a lazy ``CacheIterator``. ``get`` reads
one object by its key.
"""

from __future__ import annotations

import collections.abc
import typing

import hikari

from hikari_kura.client import backend as backend_
from hikari_kura.client import iterators, queries

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

    __slots__ = ("all", "where")

    def __init__(self, backend: backend_.Backend) -> None:
        view = View(queries.GuildQuery, backend.iter_guilds)
        self.all = view.all
        self.where = view.where

    async def get(self, guild_id: hikari.Snowflakeish, /) -> hikari.Guild | None:
        """Return the guild with this id, or None when it is not cached."""
        return await self.where(id=guild_id).first()


class ChannelView:
    """Cached guild channels and threads."""

    __slots__ = ("all", "where")

    def __init__(self, backend: backend_.Backend) -> None:
        view = View(queries.ChannelQuery, backend.iter_channels)
        self.all = view.all
        self.where = view.where

    async def get(self, channel_id: hikari.Snowflakeish, /) -> hikari.GuildChannel | None:
        """Return the channel or thread with this id, or None when it is not cached."""
        return await self.where(id=channel_id).first()

    def threads_of(self, channel_id: hikari.Snowflakeish, /) -> iterators.CacheIterator[hikari.GuildThreadChannel]:
        """Return the cached threads whose parent is this channel."""
        return self.where(parent_id=channel_id).filter(_is_thread).map(_as_thread)


class MemberView:
    """Cached guild members with their users."""

    __slots__ = ("all", "where")

    def __init__(self, backend: backend_.Backend) -> None:
        view = View(queries.MemberQuery, backend.iter_members)
        self.all = view.all
        self.where = view.where

    async def get(self, guild_id: hikari.Snowflakeish, user_id: hikari.Snowflakeish, /) -> hikari.Member | None:
        """Return the member of this guild with this user id, or None when it is not cached."""
        return await self.where(guild_id=guild_id, id=user_id).first()

    def with_role(self, role: hikari.SnowflakeishOr[hikari.PartialRole], /) -> iterators.CacheIterator[hikari.Member]:
        """Return the members who hold this role."""
        return self.where(role_id=hikari.Snowflake(role))


class RoleView:
    """Cached guild roles."""

    __slots__ = ("all", "where")

    def __init__(self, backend: backend_.Backend) -> None:
        view = View(queries.RoleQuery, backend.iter_roles)
        self.all = view.all
        self.where = view.where

    async def get(self, role_id: hikari.Snowflakeish, /) -> hikari.Role | None:
        """Return the role with this id, or None when it is not cached."""
        return await self.where(id=role_id).first()

    def of(self, member: hikari.Member, /) -> iterators.CacheIterator[hikari.Role]:
        """Return the cached roles this member holds, @everyone included when cached."""
        held = {*member.role_ids, member.guild_id}
        return self.where(guild_id=member.guild_id).filter(lambda role: role.id in held)


def _is_thread(channel: hikari.GuildChannel) -> bool:
    return isinstance(channel, hikari.GuildThreadChannel)


def _as_thread(channel: hikari.GuildChannel) -> hikari.GuildThreadChannel:
    return typing.cast(hikari.GuildThreadChannel, channel)
