"""The cache ``Backend`` interface a bot writes to and reads from, apart from any implementation.

The methods and their signatures are those of the in-process cache backend this
product replaces, so a bot moves to Kura by constructing a different backend.
This module knows nothing of gRPC.
"""

from __future__ import annotations

import abc
import asyncio
import collections.abc
import pathlib
import typing

import hikari

from hikari_kura.client import queries


class Backend(abc.ABC):
    """Base persistent cache backend."""

    @typing.overload
    async def bulk_channels(
        self,
        channels: collections.abc.Iterable[hikari.GuildChannel],
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def bulk_channels(
        self,
        channels: collections.abc.Iterable[hikari.GuildChannel],
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def bulk_channels(
        self,
        channels: collections.abc.Iterable[hikari.GuildChannel],
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def bulk_channels(
        self,
        channels: collections.abc.Iterable[hikari.GuildChannel],
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Insert or update channels in bulk.

        All are stored in one transaction: all or nothing.

        Parameters
        ----------
        channels
            The channels to insert or update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def bulk_members(
        self,
        members: collections.abc.Iterable[hikari.Member],
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def bulk_members(
        self,
        members: collections.abc.Iterable[hikari.Member],
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def bulk_members(
        self,
        members: collections.abc.Iterable[hikari.Member],
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def bulk_members(
        self,
        members: collections.abc.Iterable[hikari.Member],
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Insert or update members in bulk.

        All are stored in one transaction: all or nothing.

        Parameters
        ----------
        members
            The members to insert or update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def bulk_roles(
        self,
        roles: collections.abc.Iterable[hikari.Role],
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def bulk_roles(
        self,
        roles: collections.abc.Iterable[hikari.Role],
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def bulk_roles(
        self,
        roles: collections.abc.Iterable[hikari.Role],
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def bulk_roles(
        self,
        roles: collections.abc.Iterable[hikari.Role],
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Insert or update roles in bulk.

        All are stored in one transaction: all or nothing.

        Parameters
        ----------
        roles
            The roles to insert or update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def channel_create(
        self,
        channel: hikari.GuildChannel,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def channel_create(
        self,
        channel: hikari.GuildChannel,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def channel_create(
        self,
        channel: hikari.GuildChannel,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def channel_create(
        self,
        channel: hikari.GuildChannel,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Store a created channel.

        Parameters
        ----------
        channel
            The created channel to store.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def channel_delete(
        self,
        channel_id: hikari.Snowflake,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def channel_delete(
        self,
        channel_id: hikari.Snowflake,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def channel_delete(
        self,
        channel_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def channel_delete(
        self,
        channel_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Remove a deleted channel.

        Parameters
        ----------
        channel_id
            The ID of the channel that was deleted.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def channel_update(
        self,
        channel: hikari.GuildChannel,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def channel_update(
        self,
        channel: hikari.GuildChannel,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def channel_update(
        self,
        channel: hikari.GuildChannel,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def channel_update(
        self,
        channel: hikari.GuildChannel,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Update an updated channel.

        Parameters
        ----------
        channel
            The updated channel to update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @abc.abstractmethod
    async def clear(self, channels: bool, guilds: bool, members: bool, roles: bool) -> None:
        """Clear select cache data.

        Parameters
        ----------
        channels
            If all channels should be cleared.
        guilds
            If all guilds should be cleared.
        members
            If all members should be cleared.
        roles
            If all roles should be cleared.
        """

    @abc.abstractmethod
    async def connect(self) -> None:
        """Establish a connection with the backend database and initialize."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Save state and disconnect from a backend database, after every issued write is committed."""

    @typing.overload
    async def guild_join(
        self,
        guild: hikari.GatewayGuild,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def guild_join(
        self,
        guild: hikari.GatewayGuild,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def guild_join(
        self,
        guild: hikari.GatewayGuild,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def guild_join(
        self,
        guild: hikari.GatewayGuild,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Store a joined guild.

        Parameters
        ----------
        guild
            The guild that was joined.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def guild_leave(
        self,
        guild_id: hikari.Snowflake,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def guild_leave(
        self,
        guild_id: hikari.Snowflake,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def guild_leave(
        self,
        guild_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def guild_leave(
        self,
        guild_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Remove a left guild.

        Parameters
        ----------
        guild_id
            The ID of the guild that was left.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def guild_update(
        self,
        guild: hikari.GatewayGuild,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def guild_update(
        self,
        guild: hikari.GatewayGuild,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def guild_update(
        self,
        guild: hikari.GatewayGuild,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def guild_update(
        self,
        guild: hikari.GatewayGuild,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Update an updated guild.

        Parameters
        ----------
        guild
            The updated guild to update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @abc.abstractmethod
    def iter_channels(
        self, query: queries.ChannelQuery | None = None
    ) -> collections.abc.AsyncIterator[hikari.GuildChannel]:
        """Iterate through all channels in a query.

        Implementations are async generators: use ``async for``.

        Parameters
        ----------
        query
            If provided, only channels whose fields equal every filter that is set.

        Returns
        -------
        collections.abc.AsyncIterator[hikari.GuildChannel]
            The matching channels, yielded lazily in a stable order.
        """

    @abc.abstractmethod
    def iter_guilds(self, query: queries.GuildQuery | None = None) -> collections.abc.AsyncIterator[hikari.Guild]:
        """Iterate through all guilds in a query.

        Implementations are async generators: use ``async for``.

        Parameters
        ----------
        query
            If provided, only guilds whose fields equal every filter that is set.

        Returns
        -------
        collections.abc.AsyncIterator[hikari.Guild]
            The matching guilds, yielded lazily in a stable order.
        """

    @abc.abstractmethod
    def iter_members(self, query: queries.MemberQuery | None = None) -> collections.abc.AsyncIterator[hikari.Member]:
        """Iterate through all members in a query.

        Implementations are async generators: use ``async for``.

        Parameters
        ----------
        query
            If provided, only members whose fields equal every filter that is set.

        Returns
        -------
        collections.abc.AsyncIterator[hikari.Member]
            The matching members, yielded lazily in a stable order.
        """

    @abc.abstractmethod
    def iter_roles(self, query: queries.RoleQuery | None = None) -> collections.abc.AsyncIterator[hikari.Role]:
        """Iterate through all roles in a query.

        Implementations are async generators: use ``async for``.

        Parameters
        ----------
        query
            If provided, only roles whose fields equal every filter that is set.

        Returns
        -------
        collections.abc.AsyncIterator[hikari.Role]
            The matching roles, yielded lazily in a stable order.
        """

    @typing.overload
    async def member_create(
        self,
        member: hikari.Member,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def member_create(
        self,
        member: hikari.Member,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def member_create(
        self,
        member: hikari.Member,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def member_create(
        self,
        member: hikari.Member,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Store a created member.

        Parameters
        ----------
        member
            The created member to store.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def member_delete(
        self,
        user_id: hikari.Snowflake,
        guild_id: hikari.Snowflake,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def member_delete(
        self,
        user_id: hikari.Snowflake,
        guild_id: hikari.Snowflake,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def member_delete(
        self,
        user_id: hikari.Snowflake,
        guild_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def member_delete(
        self,
        user_id: hikari.Snowflake,
        guild_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Remove a deleted member.

        Parameters
        ----------
        user_id
            The ID of the user that left or was removed.
        guild_id
            The ID of the guild the user left.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def member_update(
        self,
        member: hikari.Member,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def member_update(
        self,
        member: hikari.Member,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def member_update(
        self,
        member: hikari.Member,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def member_update(
        self,
        member: hikari.Member,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Update an updated member.

        Parameters
        ----------
        member
            The updated member to update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @abc.abstractmethod
    async def prune(self) -> None:
        """Prune all objects in cache that weren't updated on startup."""

    @abc.abstractmethod
    async def restore(self, path: pathlib.Path) -> None:
        """Restore the backend from a backed up file.

        Parameters
        ----------
        path
            The path to the file to restore.
        """

    @typing.overload
    async def role_create(
        self,
        role: hikari.Role,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def role_create(
        self,
        role: hikari.Role,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def role_create(
        self,
        role: hikari.Role,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def role_create(
        self,
        role: hikari.Role,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Store a created role.

        Parameters
        ----------
        role
            The created role to store.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def role_delete(
        self,
        role_id: hikari.Snowflake,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def role_delete(
        self,
        role_id: hikari.Snowflake,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def role_delete(
        self,
        role_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def role_delete(
        self,
        role_id: hikari.Snowflake,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Remove a deleted role.

        Parameters
        ----------
        role_id
            The ID of the role that was deleted.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """

    @typing.overload
    async def role_update(
        self,
        role: hikari.Role,
        confirm: typing.Literal[False],
    ) -> None: ...

    @typing.overload
    async def role_update(
        self,
        role: hikari.Role,
        confirm: typing.Literal[True],
    ) -> asyncio.Future[None]: ...

    @typing.overload
    async def role_update(
        self,
        role: hikari.Role,
        confirm: bool,
    ) -> asyncio.Future[None] | None: ...

    @abc.abstractmethod
    async def role_update(
        self,
        role: hikari.Role,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Update an updated role.

        Parameters
        ----------
        role
            The updated role to update.
        confirm
            If True, return a future that completes once the write is committed to durable
            storage (or fails with the error that stopped it). If False, queue the write and
            return None at once; a later failure is logged, counted and passed to the error
            callback.

        Returns
        -------
        asyncio.Future[None] | None
            If ``confirm``, the future to wait for.
        """
