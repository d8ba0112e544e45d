"""Conversions between hikari's ``GatewayGuild`` and the ``Guild`` message."""

from __future__ import annotations

import datetime

import hikari

from hikari_kura.v1 import common_pb2, guilds_pb2, queries_pb2

from .. import queries
from . import checks, common

_datetime_to_proto = common.datetime_to_proto
_datetime_from_proto = common.datetime_from_proto
_enum_to_proto = common.enum_to_proto
_enum_from_proto = common.enum_from_proto


def _optional_datetime_to_proto(value: datetime.datetime | None, /) -> common_pb2.DateTime | None:
    return None if value is None else _datetime_to_proto(value)


def guild_to_proto(guild: hikari.GatewayGuild, /) -> guilds_pb2.Guild:
    """Convert a gateway guild to a Guild message; raise ``InvalidArgumentError`` if it cannot be stored.

    A bot writes one guild per GUILD_CREATE or GUILD_UPDATE: each is checked field by field first.
    """
    if checks.problem(guild) is not None:
        raise checks.refusal(guild)
    try:
        return _guild_to_proto(guild)
    except (ValueError, TypeError) as exc:
        raise checks.refusal(guild, exc) from None


def _guild_to_proto(guild: hikari.GatewayGuild, /) -> guilds_pb2.Guild:
    incidents = guild.incidents
    return guilds_pb2.Guild(
        id=guild.id,
        name=guild.name,
        icon_hash=guild.icon_hash,
        features=guild.features,
        incidents=guilds_pb2.GuildIncidents(
            invites_disabled_until=_optional_datetime_to_proto(incidents.invites_disabled_until),
            dms_disabled_until=_optional_datetime_to_proto(incidents.dms_disabled_until),
            dm_spam_detected_at=_optional_datetime_to_proto(incidents.dm_spam_detected_at),
            raid_detected_at=_optional_datetime_to_proto(incidents.raid_detected_at),
        ),
        application_id=guild.application_id,
        afk_channel_id=guild.afk_channel_id,
        afk_timeout=common.timedelta_to_proto(guild.afk_timeout),
        banner_hash=guild.banner_hash,
        default_message_notifications=_enum_to_proto(
            guilds_pb2.MessageNotificationsLevel, guild.default_message_notifications
        ),
        description=guild.description,
        discovery_splash_hash=guild.discovery_splash_hash,
        explicit_content_filter=_enum_to_proto(guilds_pb2.ExplicitContentFilterLevel, guild.explicit_content_filter),
        is_widget_enabled=guild.is_widget_enabled,
        max_video_channel_users=guild.max_video_channel_users,
        mfa_level=_enum_to_proto(guilds_pb2.MFALevel, guild.mfa_level),
        owner_id=guild.owner_id,
        preferred_locale=guild.preferred_locale,
        premium_subscription_count=guild.premium_subscription_count,
        premium_tier=_enum_to_proto(guilds_pb2.PremiumTier, guild.premium_tier),
        public_updates_channel_id=guild.public_updates_channel_id,
        rules_channel_id=guild.rules_channel_id,
        splash_hash=guild.splash_hash,
        system_channel_flags=guild.system_channel_flags,
        system_channel_id=guild.system_channel_id,
        vanity_url_code=guild.vanity_url_code,
        verification_level=_enum_to_proto(guilds_pb2.VerificationLevel, guild.verification_level),
        widget_channel_id=guild.widget_channel_id,
        nsfw_level=_enum_to_proto(guilds_pb2.NSFWLevel, guild.nsfw_level),
        is_large=guild.is_large,
        joined_at=_optional_datetime_to_proto(guild.joined_at),
        member_count=guild.member_count,
    )


def _optional_datetime_from_proto(
    message: guilds_pb2.Guild | guilds_pb2.GuildIncidents, field: str, /
) -> datetime.datetime | None:
    return _datetime_from_proto(getattr(message, field)) if message.HasField(field) else None


def guild_from_proto(message: guilds_pb2.Guild, /, *, app: hikari.traits.RESTAware) -> hikari.GatewayGuild:
    """Convert a Guild message to a hikari GatewayGuild bound to ``app``."""
    incidents = message.incidents
    has = message.HasField
    return hikari.GatewayGuild(
        app=app,
        id=hikari.Snowflake(message.id),
        name=message.name,
        icon_hash=message.icon_hash if has("icon_hash") else None,
        # Unknown features and locales stay plain strings, as the entity factory leaves them.
        features=list(map(hikari.GuildFeature, message.features)),
        incidents=hikari.GuildIncidents(
            invites_disabled_until=_optional_datetime_from_proto(incidents, "invites_disabled_until"),
            dms_disabled_until=_optional_datetime_from_proto(incidents, "dms_disabled_until"),
            dm_spam_detected_at=_optional_datetime_from_proto(incidents, "dm_spam_detected_at"),
            raid_detected_at=_optional_datetime_from_proto(incidents, "raid_detected_at"),
        ),
        application_id=hikari.Snowflake(message.application_id) if has("application_id") else None,
        afk_channel_id=hikari.Snowflake(message.afk_channel_id) if has("afk_channel_id") else None,
        afk_timeout=common.timedelta_from_proto(message.afk_timeout),
        banner_hash=message.banner_hash if has("banner_hash") else None,
        default_message_notifications=_enum_from_proto(
            hikari.GuildMessageNotificationsLevel, message.default_message_notifications
        ),
        description=message.description if has("description") else None,
        discovery_splash_hash=message.discovery_splash_hash if has("discovery_splash_hash") else None,
        explicit_content_filter=_enum_from_proto(
            hikari.GuildExplicitContentFilterLevel, message.explicit_content_filter
        ),
        is_widget_enabled=message.is_widget_enabled if has("is_widget_enabled") else None,
        max_video_channel_users=message.max_video_channel_users if has("max_video_channel_users") else None,
        mfa_level=_enum_from_proto(hikari.GuildMFALevel, message.mfa_level),
        owner_id=hikari.Snowflake(message.owner_id),
        preferred_locale=hikari.Locale(message.preferred_locale),
        premium_subscription_count=message.premium_subscription_count if has("premium_subscription_count") else None,
        premium_tier=_enum_from_proto(hikari.GuildPremiumTier, message.premium_tier),
        public_updates_channel_id=hikari.Snowflake(message.public_updates_channel_id)
        if has("public_updates_channel_id")
        else None,
        rules_channel_id=hikari.Snowflake(message.rules_channel_id) if has("rules_channel_id") else None,
        splash_hash=message.splash_hash if has("splash_hash") else None,
        system_channel_flags=hikari.GuildSystemChannelFlag(message.system_channel_flags),
        system_channel_id=hikari.Snowflake(message.system_channel_id) if has("system_channel_id") else None,
        vanity_url_code=message.vanity_url_code if has("vanity_url_code") else None,
        verification_level=_enum_from_proto(hikari.GuildVerificationLevel, message.verification_level),
        widget_channel_id=hikari.Snowflake(message.widget_channel_id) if has("widget_channel_id") else None,
        nsfw_level=_enum_from_proto(hikari.GuildNSFWLevel, message.nsfw_level),
        is_large=message.is_large if has("is_large") else None,
        joined_at=_optional_datetime_from_proto(message, "joined_at"),
        member_count=message.member_count if has("member_count") else None,
    )


def guild_query_to_proto(query: queries.GuildQuery, /) -> queries_pb2.GuildQuery:
    """Convert a guild query to its proto message; filters left None stay unset."""
    return checks.query_message(
        queries_pb2.GuildQuery,
        "guild",
        dict(
            id=query.id,
            name=query.name,
            owner_id=query.owner_id,
            application_id=query.application_id,
            icon_hash=query.icon_hash,
            banner_hash=query.banner_hash,
            splash_hash=query.splash_hash,
            discovery_splash_hash=query.discovery_splash_hash,
            description=query.description,
            vanity_url_code=query.vanity_url_code,
            preferred_locale=query.preferred_locale,
            afk_channel_id=query.afk_channel_id,
            afk_timeout=None if query.afk_timeout is None else common.timedelta_to_proto(query.afk_timeout),
            rules_channel_id=query.rules_channel_id,
            system_channel_id=query.system_channel_id,
            system_channel_flags=query.system_channel_flags,
            public_updates_channel_id=query.public_updates_channel_id,
            widget_channel_id=query.widget_channel_id,
            is_widget_enabled=query.is_widget_enabled,
            max_video_channel_users=query.max_video_channel_users,
            premium_tier=None
            if query.premium_tier is None
            else _enum_to_proto(guilds_pb2.PremiumTier, query.premium_tier),
            premium_subscription_count=query.premium_subscription_count,
            default_message_notifications=None
            if query.default_message_notifications is None
            else _enum_to_proto(guilds_pb2.MessageNotificationsLevel, query.default_message_notifications),
            explicit_content_filter=None
            if query.explicit_content_filter is None
            else _enum_to_proto(guilds_pb2.ExplicitContentFilterLevel, query.explicit_content_filter),
            mfa_level=None if query.mfa_level is None else _enum_to_proto(guilds_pb2.MFALevel, query.mfa_level),
            nsfw_level=None if query.nsfw_level is None else _enum_to_proto(guilds_pb2.NSFWLevel, query.nsfw_level),
            verification_level=None
            if query.verification_level is None
            else _enum_to_proto(guilds_pb2.VerificationLevel, query.verification_level),
        ),
    )
