"""Turn validated protobuf entities into table rows: filter columns beside the serialized message.

Column order here is the order of the ``INSERT`` statements of each engine; the
query field names of ``queries.proto`` are the column names, so filters map 1:1.
"""

from __future__ import annotations

import collections.abc
import typing

from hikari_kura.v1 import channels_pb2, guilds_pb2, members_pb2, roles_pb2

Row: typing.TypeAlias = tuple[object, ...]

GUILD_COLUMNS: typing.Final = (
    "id",
    "session_id",
    "name",
    "owner_id",
    "application_id",
    "icon_hash",
    "banner_hash",
    "splash_hash",
    "discovery_splash_hash",
    "description",
    "vanity_url_code",
    "preferred_locale",
    "afk_channel_id",
    "afk_timeout",
    "rules_channel_id",
    "system_channel_id",
    "system_channel_flags",
    "public_updates_channel_id",
    "widget_channel_id",
    "is_widget_enabled",
    "max_video_channel_users",
    "premium_tier",
    "premium_subscription_count",
    "default_message_notifications",
    "explicit_content_filter",
    "mfa_level",
    "nsfw_level",
    "verification_level",
    "data",
)
CHANNEL_COLUMNS: typing.Final = (
    "id",
    "guild_id",
    "parent_id",
    "session_id",
    "name",
    "type",
    "position",
    "is_nsfw",
    "data",
)
MEMBER_COLUMNS: typing.Final = (
    "guild_id",
    "id",
    "session_id",
    "nickname",
    "guild_avatar_hash",
    "guild_banner_hash",
    "guild_flags",
    "data",
)
ROLE_COLUMNS: typing.Final = (
    "id",
    "guild_id",
    "session_id",
    "name",
    "color",
    "is_hoisted",
    "icon_hash",
    "unicode_emoji",
    "is_managed",
    "is_mentionable",
    "permissions",
    "position",
    "bot_id",
    "integration_id",
    "is_premium_subscriber_role",
    "is_available_for_purchase",
    "is_guild_linked_role",
    "data",
)

CHANNEL_TYPES: typing.Final[dict[str, int]] = {
    "text": channels_pb2.CHANNEL_TYPE_GUILD_TEXT,
    "voice": channels_pb2.CHANNEL_TYPE_GUILD_VOICE,
    "category": channels_pb2.CHANNEL_TYPE_GUILD_CATEGORY,
    "news": channels_pb2.CHANNEL_TYPE_GUILD_NEWS,
    "stage": channels_pb2.CHANNEL_TYPE_GUILD_STAGE,
    "forum": channels_pb2.CHANNEL_TYPE_GUILD_FORUM,
    "media": channels_pb2.CHANNEL_TYPE_GUILD_MEDIA,
    "news_thread": channels_pb2.CHANNEL_TYPE_GUILD_NEWS_THREAD,
    "public_thread": channels_pb2.CHANNEL_TYPE_GUILD_PUBLIC_THREAD,
    "private_thread": channels_pb2.CHANNEL_TYPE_GUILD_PRIVATE_THREAD,
}
"""The ``type`` column of each ``GuildChannel.kind``."""

THREAD_TYPES: typing.Final = (
    channels_pb2.CHANNEL_TYPE_GUILD_NEWS_THREAD,
    channels_pb2.CHANNEL_TYPE_GUILD_PUBLIC_THREAD,
    channels_pb2.CHANNEL_TYPE_GUILD_PRIVATE_THREAD,
)

_MICROSECONDS_PER_SECOND: typing.Final = 1_000_000


def signed64(value: int) -> int:
    """Return an unsigned 64-bit value as the signed one SQLite and PostgreSQL store (same bits).

    Bitfields (permissions, system channel flags, member flags) are uint64 on the wire; their columns are
    signed 64-bit, so a value with bit 63 set is stored as its two's complement, and a filter on it is
    converted the same way (``reads``). A value stored before the flags were unsigned keeps its column value: same bits.
    """
    return value - (1 << 64) if value >= 1 << 63 else value


def duration_micros(seconds: int, nanos: int) -> int:
    """Return a protobuf Duration as whole microseconds, the unit of duration columns."""
    return seconds * _MICROSECONDS_PER_SECOND + nanos // 1000


def guild_row(guild: guilds_pb2.Guild, session_id: int | None) -> Row:
    """Return the ``guilds`` row of a guild."""
    has = guild.HasField
    return (
        guild.id,
        session_id,
        guild.name,
        guild.owner_id,
        guild.application_id if has("application_id") else None,
        guild.icon_hash if has("icon_hash") else None,
        guild.banner_hash if has("banner_hash") else None,
        guild.splash_hash if has("splash_hash") else None,
        guild.discovery_splash_hash if has("discovery_splash_hash") else None,
        guild.description if has("description") else None,
        guild.vanity_url_code if has("vanity_url_code") else None,
        guild.preferred_locale,
        guild.afk_channel_id if has("afk_channel_id") else None,
        duration_micros(guild.afk_timeout.seconds, guild.afk_timeout.nanos),
        guild.rules_channel_id if has("rules_channel_id") else None,
        guild.system_channel_id if has("system_channel_id") else None,
        signed64(guild.system_channel_flags),
        guild.public_updates_channel_id if has("public_updates_channel_id") else None,
        guild.widget_channel_id if has("widget_channel_id") else None,
        guild.is_widget_enabled if has("is_widget_enabled") else None,
        guild.max_video_channel_users if has("max_video_channel_users") else None,
        guild.premium_tier,
        guild.premium_subscription_count if has("premium_subscription_count") else None,
        guild.default_message_notifications,
        guild.explicit_content_filter,
        guild.mfa_level,
        guild.nsfw_level,
        guild.verification_level,
        guild.SerializeToString(),
    )


def channel_row(channel: channels_pb2.GuildChannel, session_id: int | None) -> Row:
    """Return the ``channels`` row of a channel or thread."""
    has = channel.HasField
    return (
        channel.id,
        channel.guild_id,
        channel.parent_id if has("parent_id") else None,
        session_id,
        channel.name if has("name") else None,
        CHANNEL_TYPES[typing.cast(str, channel.WhichOneof("kind"))],
        channel.position if has("position") else None,
        channel.is_nsfw if has("is_nsfw") else None,
        channel.SerializeToString(),
    )


def member_row(member: members_pb2.Member, session_id: int | None) -> Row:
    """Return the ``members`` row of a member; its roles go to ``member_roles`` apart."""
    has = member.HasField
    return (
        member.guild_id,
        member.user.id,
        session_id,
        member.nickname if has("nickname") else None,
        member.guild_avatar_hash if has("guild_avatar_hash") else None,
        member.guild_banner_hash if has("guild_banner_hash") else None,
        signed64(member.guild_flags),
        member.SerializeToString(),
    )


def member_role_ids(data: bytes) -> collections.abc.Sequence[int]:
    """Return the role ids of a stored member (its encoded message), to find its role index entries."""
    return members_pb2.Member.FromString(data).role_ids


def role_row(role: roles_pb2.Role, session_id: int | None) -> Row:
    """Return the ``roles`` row of a role."""
    has = role.HasField
    return (
        role.id,
        role.guild_id,
        session_id,
        role.name,
        role.color,
        role.is_hoisted,
        role.icon_hash if has("icon_hash") else None,
        role.unicode_emoji if has("unicode_emoji") else None,
        role.is_managed,
        role.is_mentionable,
        signed64(role.permissions),
        role.position,
        role.bot_id if has("bot_id") else None,
        role.integration_id if has("integration_id") else None,
        role.is_premium_subscriber_role,
        role.is_available_for_purchase,
        role.is_guild_linked_role,
        role.SerializeToString(),
    )
