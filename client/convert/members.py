"""Conversions between hikari's ``Member`` with its user and the ``Member`` message.

This is the hot path of bulk member writes and reads: each direction is one straight-line
constructor call with the few optional parts inlined.
"""

from __future__ import annotations

import hikari

from hikari_kura.v1 import members_pb2, queries_pb2

from .. import queries
from . import common


def member_to_proto(member: hikari.Member, /) -> members_pb2.Member:
    """Convert a member and its user to a Member message."""
    user = member.user
    joined_at = member.joined_at
    premium_since = member.premium_since
    communication_disabled_until = member.raw_communication_disabled_until
    guild_avatar_decoration = member.guild_avatar_decoration
    avatar_decoration = user.avatar_decoration
    primary_guild = user.primary_guild
    is_deaf = member.is_deaf
    is_mute = member.is_mute
    is_pending = member.is_pending
    return members_pb2.Member(
        guild_id=member.guild_id,
        user=members_pb2.User(
            id=user.id,
            discriminator=user.discriminator,
            username=user.username,
            global_name=user.global_name,
            avatar_decoration=None
            if avatar_decoration is None
            else common.avatar_decoration_to_proto(avatar_decoration),
            avatar_hash=user.avatar_hash,
            banner_hash=user.banner_hash,
            accent_color=user.accent_color,
            is_bot=user.is_bot,
            is_system=user.is_system,
            flags=user.flags,
            primary_guild=None
            if primary_guild is None
            else members_pb2.PrimaryGuild(
                identity_guild_id=primary_guild.identity_guild_id,
                identity_enabled=primary_guild.identity_enabled,
                tag=primary_guild.tag,
                badge_hash=primary_guild.badge_hash,
            ),
        ),
        # UNDEFINED (Discord did not say) travels as an unset field.
        is_deaf=None if is_deaf is hikari.UNDEFINED else is_deaf,
        is_mute=None if is_mute is hikari.UNDEFINED else is_mute,
        is_pending=None if is_pending is hikari.UNDEFINED else is_pending,
        joined_at=None if joined_at is None else common.datetime_to_proto(joined_at),
        nickname=member.nickname,
        premium_since=None if premium_since is None else common.datetime_to_proto(premium_since),
        raw_communication_disabled_until=None
        if communication_disabled_until is None
        else common.datetime_to_proto(communication_disabled_until),
        role_ids=member.role_ids,
        guild_avatar_decoration=None
        if guild_avatar_decoration is None
        else common.avatar_decoration_to_proto(guild_avatar_decoration),
        guild_avatar_hash=member.guild_avatar_hash,
        guild_banner_hash=member.guild_banner_hash,
        guild_flags=member.guild_flags,
    )


def member_from_proto(message: members_pb2.Member, /, *, app: hikari.traits.RESTAware) -> hikari.Member:
    """Convert a Member message to a hikari Member whose user is bound to ``app``."""
    user = message.user
    has_user = user.HasField
    has = message.HasField
    if has_user("primary_guild"):
        primary_guild = user.primary_guild
        has_primary_guild = primary_guild.HasField
        user_primary_guild: hikari.PrimaryGuild | None = hikari.PrimaryGuild(
            identity_guild_id=hikari.Snowflake(primary_guild.identity_guild_id)
            if has_primary_guild("identity_guild_id")
            else None,
            identity_enabled=primary_guild.identity_enabled if has_primary_guild("identity_enabled") else None,
            tag=primary_guild.tag if has_primary_guild("tag") else None,
            badge_hash=primary_guild.badge_hash if has_primary_guild("badge_hash") else None,
        )
    else:
        user_primary_guild = None
    return hikari.Member(
        guild_id=hikari.Snowflake(message.guild_id),
        user=hikari.users.UserImpl(
            app=app,
            id=hikari.Snowflake(user.id),
            discriminator=user.discriminator,
            username=user.username,
            global_name=user.global_name if has_user("global_name") else None,
            avatar_decoration=common.avatar_decoration_from_proto(user.avatar_decoration)
            if has_user("avatar_decoration")
            else None,
            avatar_hash=user.avatar_hash if has_user("avatar_hash") else None,
            banner_hash=user.banner_hash if has_user("banner_hash") else None,
            accent_color=hikari.Color(user.accent_color) if has_user("accent_color") else None,
            is_bot=user.is_bot,
            is_system=user.is_system,
            flags=hikari.UserFlag(user.flags),
            primary_guild=user_primary_guild,
        ),
        is_deaf=message.is_deaf if has("is_deaf") else hikari.UNDEFINED,
        is_mute=message.is_mute if has("is_mute") else hikari.UNDEFINED,
        is_pending=message.is_pending if has("is_pending") else hikari.UNDEFINED,
        joined_at=common.datetime_from_proto(message.joined_at) if has("joined_at") else None,
        nickname=message.nickname if has("nickname") else None,
        premium_since=common.datetime_from_proto(message.premium_since) if has("premium_since") else None,
        raw_communication_disabled_until=common.datetime_from_proto(message.raw_communication_disabled_until)
        if has("raw_communication_disabled_until")
        else None,
        role_ids=list(map(hikari.Snowflake, message.role_ids)),
        guild_avatar_decoration=common.avatar_decoration_from_proto(message.guild_avatar_decoration)
        if has("guild_avatar_decoration")
        else None,
        guild_avatar_hash=message.guild_avatar_hash if has("guild_avatar_hash") else None,
        guild_banner_hash=message.guild_banner_hash if has("guild_banner_hash") else None,
        guild_flags=hikari.GuildMemberFlags(message.guild_flags),
    )


def member_query_to_proto(query: queries.MemberQuery, /) -> queries_pb2.MemberQuery:
    """Convert a member query to its proto message; filters left None stay unset."""
    return queries_pb2.MemberQuery(
        guild_id=query.guild_id,
        id=query.id,
        nickname=query.nickname,
        guild_avatar_hash=query.guild_avatar_hash,
        guild_banner_hash=query.guild_banner_hash,
        guild_flags=query.guild_flags,
        role_id=query.role_id,
    )
