"""Filters for the cache's ``iter_*`` reads: an object matches when it equals every filter that is not None."""

from __future__ import annotations

import dataclasses
import datetime

import hikari


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ChannelQuery:
    """Filters of guild channels and threads."""

    id: hikari.Snowflakeish | None = None
    name: str | None = None
    type: hikari.ChannelType | int | None = None
    guild_id: hikari.Snowflakeish | None = None
    parent_id: hikari.Snowflakeish | None = None
    position: int | None = None
    is_nsfw: bool | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GuildQuery:
    """Filters of guilds."""

    id: hikari.Snowflakeish | None = None
    name: str | None = None
    owner_id: hikari.Snowflakeish | None = None
    application_id: hikari.Snowflakeish | None = None
    icon_hash: str | None = None
    banner_hash: str | None = None
    splash_hash: str | None = None
    discovery_splash_hash: str | None = None
    description: str | None = None
    vanity_url_code: str | None = None
    preferred_locale: hikari.Locale | str | None = None
    afk_channel_id: hikari.Snowflakeish | None = None
    afk_timeout: datetime.timedelta | None = None
    rules_channel_id: hikari.Snowflakeish | None = None
    system_channel_id: hikari.Snowflakeish | None = None
    system_channel_flags: hikari.GuildSystemChannelFlag | int | None = None
    public_updates_channel_id: hikari.Snowflakeish | None = None
    widget_channel_id: hikari.Snowflakeish | None = None
    is_widget_enabled: bool | None = None
    max_video_channel_users: int | None = None
    premium_tier: hikari.GuildPremiumTier | int | None = None
    premium_subscription_count: int | None = None
    default_message_notifications: hikari.GuildMessageNotificationsLevel | int | None = None
    explicit_content_filter: hikari.GuildExplicitContentFilterLevel | int | None = None
    mfa_level: hikari.GuildMFALevel | int | None = None
    nsfw_level: hikari.GuildNSFWLevel | int | None = None
    verification_level: hikari.GuildVerificationLevel | int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class MemberQuery:
    """Filters of guild members; ``id`` is the member's user id and ``role_id`` a role the member holds."""

    guild_id: hikari.Snowflakeish | None = None
    id: hikari.Snowflakeish | None = None
    nickname: str | None = None
    guild_avatar_hash: str | None = None
    guild_banner_hash: str | None = None
    guild_flags: hikari.GuildMemberFlags | int | None = None
    role_id: hikari.Snowflakeish | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class RoleQuery:
    """Filters of guild roles."""

    id: hikari.Snowflakeish | None = None
    name: str | None = None
    color: hikari.Color | int | None = None
    guild_id: hikari.Snowflakeish | None = None
    is_hoisted: bool | None = None
    icon_hash: str | None = None
    unicode_emoji: hikari.UnicodeEmoji | str | None = None
    is_managed: bool | None = None
    is_mentionable: bool | None = None
    permissions: hikari.Permissions | int | None = None
    position: int | None = None
    bot_id: hikari.Snowflakeish | None = None
    integration_id: hikari.Snowflakeish | None = None
    is_premium_subscriber_role: bool | None = None
    is_available_for_purchase: bool | None = None
    is_guild_linked_role: bool | None = None
