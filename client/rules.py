"""What the event bridge writes to the cache: each kind on, off, or chosen object by object."""

from __future__ import annotations

import collections.abc
import dataclasses
import typing

import hikari

T = typing.TypeVar("T")

Rule = bool | collections.abc.Callable[[T], bool]
"""True caches every object of a kind, False none, and a predicate those it returns True for."""


def _allows(rule: Rule[T], item: T) -> bool:
    return rule(item) if callable(rule) else rule


def _keep(rule: Rule[T], items: collections.abc.Iterable[T]) -> list[T]:
    if rule is True:
        return list(items)
    if rule is False:
        return []
    return [item for item in items if rule(item)]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CacheRules:
    """Which guilds, channels (threads included), members and roles the bridge writes.

    Rules decide what is written, not what is removed: an object that a rule turns away is
    not stored, and one already stored stays until it is deleted, its guild is left, or a
    prune removes it. So a predicate should test what does not change (ids, types, whether
    a user is a bot). Deletes always go through, so nothing a rule once let in outlives
    its deletion.

    Example: keep no members but the bot's own, and no voice channels::

        CacheRules(
            members=lambda member: member.id == MY_ID,
            channels=lambda channel: channel.type is not hikari.ChannelType.GUILD_VOICE,
        )
    """

    guilds: Rule[hikari.GatewayGuild] = True
    channels: Rule[hikari.GuildChannel] = True
    members: Rule[hikari.Member] = True
    roles: Rule[hikari.Role] = True

    def allows_guild(self, guild: hikari.GatewayGuild) -> bool:
        """Tell whether ``guild`` is to be written."""
        return _allows(self.guilds, guild)

    def allows_channel(self, channel: hikari.GuildChannel) -> bool:
        """Tell whether ``channel`` is to be written."""
        return _allows(self.channels, channel)

    def allows_member(self, member: hikari.Member) -> bool:
        """Tell whether ``member`` is to be written."""
        return _allows(self.members, member)

    def allows_role(self, role: hikari.Role) -> bool:
        """Tell whether ``role`` is to be written."""
        return _allows(self.roles, role)

    def keep_channels(self, channels: collections.abc.Iterable[hikari.GuildChannel]) -> list[hikari.GuildChannel]:
        """Return the channels that are to be written."""
        return _keep(self.channels, channels)

    def keep_members(self, members: collections.abc.Iterable[hikari.Member]) -> list[hikari.Member]:
        """Return the members that are to be written."""
        return _keep(self.members, members)

    def keep_roles(self, roles: collections.abc.Iterable[hikari.Role]) -> list[hikari.Role]:
        """Return the roles that are to be written."""
        return _keep(self.roles, roles)
