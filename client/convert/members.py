"""Conversions between hikari's ``Member`` with its user and the ``Member`` message.

This is the hot path of bulk member writes and reads: each direction is one straight-line
constructor call with the few optional parts inlined.
"""

from __future__ import annotations

import hikari

from hikari_kura.v1 import members_pb2, queries_pb2

from .. import queries
from . import checks, common

_Member = hikari.Member
_UserImpl = hikari.users.UserImpl
_MemberMessage = members_pb2.Member
# Each made as new_instance(cls) then its own attrs __init__: cls(**kwargs) runs the same code, slower.
common.plain_construction(_Member, _UserImpl)
_new = common.new_instance
_init_member = _Member.__init__
_init_user = _UserImpl.__init__
_Snowflake = hikari.Snowflake
_UNDEFINED = hikari.UNDEFINED
_SNOWFLAKES = common.SNOWFLAKES
_USER_FLAGS = common.Interned(hikari.UserFlag)
_MEMBER_FLAGS = common.Interned(hikari.GuildMemberFlags)
_datetime_into = common.datetime_into
_MIN_SECONDS = checks.MIN_SECONDS
_MAX_SECONDS = checks.MAX_SECONDS
_datetime_from_proto = common.datetime_from_proto
_decoration_into = common.avatar_decoration_into
_refusal = checks.refusal
_MAX_TEXT = checks.MAX_TEXT


def member_to_proto(member: hikari.Member, /) -> members_pb2.Member:
    """Convert a member and its user to a Member message; raise ``InvalidArgumentError`` if it cannot be stored."""
    message = _MemberMessage()
    member_into(message, member)
    return message


def member_into(message: members_pb2.Member, member: hikari.Member, /) -> None:
    """Write a member and its user into an empty Member message where it lies, e.g. one ``members.add()`` made.

    Writing in place spares a bulk write the copy of every Member into its request. A member the server
    cannot store raises ``InvalidArgumentError`` naming the field, and leaves ``message`` partly written.
    """
    # Fields are set where they lie, nested messages included (cheaper than constructor keywords and
    # than building nested messages to copy in); None and UNDEFINED leave a field unset, and so do
    # proto3 defaults, which are not sent either way. Protobuf refuses values out of a field's range;
    # the few checks here are what it does not (keys, negative references, text length), each a
    # comparison of a value at hand, so that a refused member costs nothing until it is one.
    try:
        message.guild_id = guild_id = member.guild_id
        user = member.user
        out = message.user
        out.id = user_id = user.id
        out.discriminator = discriminator = user.discriminator
        out.username = username = user.username
        if guild_id <= 0 or user_id <= 0 or len(discriminator) > _MAX_TEXT or len(username) > _MAX_TEXT:
            raise ValueError
        if (global_name := user.global_name) is not None:
            out.global_name = global_name
            if len(global_name) > _MAX_TEXT:
                raise ValueError
        if (avatar_decoration := user.avatar_decoration) is not None:
            _decoration_into(out.avatar_decoration, avatar_decoration)
        if (avatar_hash := user.avatar_hash) is not None:
            out.avatar_hash = avatar_hash
            if len(avatar_hash) > _MAX_TEXT:
                raise ValueError
        if (banner_hash := user.banner_hash) is not None:
            out.banner_hash = banner_hash
            if len(banner_hash) > _MAX_TEXT:
                raise ValueError
        if (accent_color := user.accent_color) is not None:
            out.accent_color = accent_color
        if user.is_bot:
            out.is_bot = True
        if user.is_system:
            out.is_system = True
        if flags := user.flags:
            out.flags = flags
        if (primary_guild := user.primary_guild) is not None:
            _primary_guild_into(out.primary_guild, primary_guild)
        # UNDEFINED (Discord did not say) travels as an unset field.
        if (is_deaf := member.is_deaf) is not _UNDEFINED:
            message.is_deaf = is_deaf
        if (is_mute := member.is_mute) is not _UNDEFINED:
            message.is_mute = is_mute
        if (is_pending := member.is_pending) is not _UNDEFINED:
            message.is_pending = is_pending
        if (joined_at := member.joined_at) is not None:
            if not _MIN_SECONDS <= _datetime_into(message.joined_at, joined_at) <= _MAX_SECONDS:
                raise ValueError  # a Timestamp cannot hold it
        if (nickname := member.nickname) is not None:
            message.nickname = nickname
            if len(nickname) > _MAX_TEXT:
                raise ValueError
        if (premium_since := member.premium_since) is not None:
            if not _MIN_SECONDS <= _datetime_into(message.premium_since, premium_since) <= _MAX_SECONDS:
                raise ValueError  # a Timestamp cannot hold it
        if (communication_disabled_until := member.raw_communication_disabled_until) is not None:
            if (
                not _MIN_SECONDS
                <= _datetime_into(message.raw_communication_disabled_until, communication_disabled_until)
                <= _MAX_SECONDS
            ):
                raise ValueError  # a Timestamp cannot hold it
        if role_ids := member.role_ids:
            message.role_ids.extend(role_ids)
            if min(role_ids) < 0:
                raise ValueError
        if (guild_avatar_decoration := member.guild_avatar_decoration) is not None:
            _decoration_into(message.guild_avatar_decoration, guild_avatar_decoration)
        if (guild_avatar_hash := member.guild_avatar_hash) is not None:
            message.guild_avatar_hash = guild_avatar_hash
            if len(guild_avatar_hash) > _MAX_TEXT:
                raise ValueError
        if (guild_banner_hash := member.guild_banner_hash) is not None:
            message.guild_banner_hash = guild_banner_hash
            if len(guild_banner_hash) > _MAX_TEXT:
                raise ValueError
        if guild_flags := member.guild_flags:
            message.guild_flags = guild_flags
    except (ValueError, TypeError) as exc:
        raise _refusal(member, exc) from None


def _primary_guild_into(target: members_pb2.PrimaryGuild, primary_guild: hikari.PrimaryGuild, /) -> None:
    """Write a user's primary guild into its message in place, and mark it set even when every field is None."""
    target.SetInParent()
    if (identity_guild_id := primary_guild.identity_guild_id) is not None:
        target.identity_guild_id = identity_guild_id
        if identity_guild_id < 0:
            raise ValueError
    if (identity_enabled := primary_guild.identity_enabled) is not None:
        target.identity_enabled = identity_enabled
    if (tag := primary_guild.tag) is not None:
        target.tag = tag
        if len(tag) > _MAX_TEXT:
            raise ValueError
    if (badge_hash := primary_guild.badge_hash) is not None:
        target.badge_hash = badge_hash
        if len(badge_hash) > _MAX_TEXT:
            raise ValueError


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
    user_impl = _new(_UserImpl)
    _init_user(
        user_impl,
        app=app,
        id=_Snowflake(user.id),
        discriminator=user.discriminator,
        username=user.username,
        global_name=user.global_name if has_user("global_name") else None,
        avatar_decoration=common.avatar_decoration_from_proto(user.avatar_decoration)
        if has_user("avatar_decoration")
        else None,
        avatar_hash=user.avatar_hash if has_user("avatar_hash") else None,
        banner_hash=user.banner_hash if has_user("banner_hash") else None,
        accent_color=common.COLORS[user.accent_color] if has_user("accent_color") else None,
        is_bot=user.is_bot,
        is_system=user.is_system,
        flags=_USER_FLAGS[user.flags],
        primary_guild=user_primary_guild,
    )
    member = _new(_Member)
    _init_member(
        member,
        guild_id=_SNOWFLAKES[message.guild_id],
        user=user_impl,
        is_deaf=message.is_deaf if has("is_deaf") else _UNDEFINED,
        is_mute=message.is_mute if has("is_mute") else _UNDEFINED,
        is_pending=message.is_pending if has("is_pending") else _UNDEFINED,
        joined_at=_datetime_from_proto(message.joined_at) if has("joined_at") else None,
        nickname=message.nickname if has("nickname") else None,
        premium_since=_datetime_from_proto(message.premium_since) if has("premium_since") else None,
        raw_communication_disabled_until=_datetime_from_proto(message.raw_communication_disabled_until)
        if has("raw_communication_disabled_until")
        else None,
        # Slicing copies the repeated field to a list in one step (iterating it is slower).
        role_ids=[*map(_SNOWFLAKES.__getitem__, message.role_ids[:])],
        guild_avatar_decoration=common.avatar_decoration_from_proto(message.guild_avatar_decoration)
        if has("guild_avatar_decoration")
        else None,
        guild_avatar_hash=message.guild_avatar_hash if has("guild_avatar_hash") else None,
        guild_banner_hash=message.guild_banner_hash if has("guild_banner_hash") else None,
        guild_flags=_MEMBER_FLAGS[message.guild_flags],
    )
    return member


def member_query_to_proto(query: queries.MemberQuery, /) -> queries_pb2.MemberQuery:
    """Convert a member query to its proto message; filters left None stay unset."""
    return checks.query_message(
        queries_pb2.MemberQuery,
        "member",
        dict(
            guild_id=query.guild_id,
            id=query.id,
            nickname=query.nickname,
            guild_avatar_hash=query.guild_avatar_hash,
            guild_banner_hash=query.guild_banner_hash,
            guild_flags=query.guild_flags,
            role_id=query.role_id,
        ),
    )
