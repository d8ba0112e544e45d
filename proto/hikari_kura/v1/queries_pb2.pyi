import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from hikari_kura.v1 import channels_pb2 as _channels_pb2
from hikari_kura.v1 import guilds_pb2 as _guilds_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChannelQuery(_message.Message):
    __slots__ = ("id", "name", "type", "guild_id", "parent_id", "position", "is_nsfw")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    IS_NSFW_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    type: _channels_pb2.ChannelType
    guild_id: int
    parent_id: int
    position: int
    is_nsfw: bool
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., type: _Optional[_Union[_channels_pb2.ChannelType, str]] = ..., guild_id: _Optional[int] = ..., parent_id: _Optional[int] = ..., position: _Optional[int] = ..., is_nsfw: _Optional[bool] = ...) -> None: ...

class GuildQuery(_message.Message):
    __slots__ = ("id", "name", "owner_id", "application_id", "icon_hash", "banner_hash", "splash_hash", "discovery_splash_hash", "description", "vanity_url_code", "preferred_locale", "afk_channel_id", "afk_timeout", "rules_channel_id", "system_channel_id", "system_channel_flags", "public_updates_channel_id", "widget_channel_id", "is_widget_enabled", "max_video_channel_users", "premium_tier", "premium_subscription_count", "default_message_notifications", "explicit_content_filter", "mfa_level", "nsfw_level", "verification_level")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    ICON_HASH_FIELD_NUMBER: _ClassVar[int]
    BANNER_HASH_FIELD_NUMBER: _ClassVar[int]
    SPLASH_HASH_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_SPLASH_HASH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VANITY_URL_CODE_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_LOCALE_FIELD_NUMBER: _ClassVar[int]
    AFK_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    AFK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RULES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CHANNEL_FLAGS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_UPDATES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    WIDGET_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    IS_WIDGET_ENABLED_FIELD_NUMBER: _ClassVar[int]
    MAX_VIDEO_CHANNEL_USERS_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_TIER_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_SUBSCRIPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MESSAGE_NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    EXPLICIT_CONTENT_FILTER_FIELD_NUMBER: _ClassVar[int]
    MFA_LEVEL_FIELD_NUMBER: _ClassVar[int]
    NSFW_LEVEL_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    owner_id: int
    application_id: int
    icon_hash: str
    banner_hash: str
    splash_hash: str
    discovery_splash_hash: str
    description: str
    vanity_url_code: str
    preferred_locale: str
    afk_channel_id: int
    afk_timeout: _duration_pb2.Duration
    rules_channel_id: int
    system_channel_id: int
    system_channel_flags: int
    public_updates_channel_id: int
    widget_channel_id: int
    is_widget_enabled: bool
    max_video_channel_users: int
    premium_tier: _guilds_pb2.PremiumTier
    premium_subscription_count: int
    default_message_notifications: _guilds_pb2.MessageNotificationsLevel
    explicit_content_filter: _guilds_pb2.ExplicitContentFilterLevel
    mfa_level: _guilds_pb2.MFALevel
    nsfw_level: _guilds_pb2.NSFWLevel
    verification_level: _guilds_pb2.VerificationLevel
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., owner_id: _Optional[int] = ..., application_id: _Optional[int] = ..., icon_hash: _Optional[str] = ..., banner_hash: _Optional[str] = ..., splash_hash: _Optional[str] = ..., discovery_splash_hash: _Optional[str] = ..., description: _Optional[str] = ..., vanity_url_code: _Optional[str] = ..., preferred_locale: _Optional[str] = ..., afk_channel_id: _Optional[int] = ..., afk_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rules_channel_id: _Optional[int] = ..., system_channel_id: _Optional[int] = ..., system_channel_flags: _Optional[int] = ..., public_updates_channel_id: _Optional[int] = ..., widget_channel_id: _Optional[int] = ..., is_widget_enabled: _Optional[bool] = ..., max_video_channel_users: _Optional[int] = ..., premium_tier: _Optional[_Union[_guilds_pb2.PremiumTier, str]] = ..., premium_subscription_count: _Optional[int] = ..., default_message_notifications: _Optional[_Union[_guilds_pb2.MessageNotificationsLevel, str]] = ..., explicit_content_filter: _Optional[_Union[_guilds_pb2.ExplicitContentFilterLevel, str]] = ..., mfa_level: _Optional[_Union[_guilds_pb2.MFALevel, str]] = ..., nsfw_level: _Optional[_Union[_guilds_pb2.NSFWLevel, str]] = ..., verification_level: _Optional[_Union[_guilds_pb2.VerificationLevel, str]] = ...) -> None: ...

class MemberQuery(_message.Message):
    __slots__ = ("guild_id", "id", "nickname", "guild_avatar_hash", "guild_banner_hash", "guild_flags", "role_id")
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    GUILD_AVATAR_HASH_FIELD_NUMBER: _ClassVar[int]
    GUILD_BANNER_HASH_FIELD_NUMBER: _ClassVar[int]
    GUILD_FLAGS_FIELD_NUMBER: _ClassVar[int]
    ROLE_ID_FIELD_NUMBER: _ClassVar[int]
    guild_id: int
    id: int
    nickname: str
    guild_avatar_hash: str
    guild_banner_hash: str
    guild_flags: int
    role_id: int
    def __init__(self, guild_id: _Optional[int] = ..., id: _Optional[int] = ..., nickname: _Optional[str] = ..., guild_avatar_hash: _Optional[str] = ..., guild_banner_hash: _Optional[str] = ..., guild_flags: _Optional[int] = ..., role_id: _Optional[int] = ...) -> None: ...

class RoleQuery(_message.Message):
    __slots__ = ("id", "name", "color", "guild_id", "is_hoisted", "icon_hash", "unicode_emoji", "is_managed", "is_mentionable", "permissions", "position", "bot_id", "integration_id", "is_premium_subscriber_role", "is_available_for_purchase", "is_guild_linked_role")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    IS_HOISTED_FIELD_NUMBER: _ClassVar[int]
    ICON_HASH_FIELD_NUMBER: _ClassVar[int]
    UNICODE_EMOJI_FIELD_NUMBER: _ClassVar[int]
    IS_MANAGED_FIELD_NUMBER: _ClassVar[int]
    IS_MENTIONABLE_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    IS_PREMIUM_SUBSCRIBER_ROLE_FIELD_NUMBER: _ClassVar[int]
    IS_AVAILABLE_FOR_PURCHASE_FIELD_NUMBER: _ClassVar[int]
    IS_GUILD_LINKED_ROLE_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    color: int
    guild_id: int
    is_hoisted: bool
    icon_hash: str
    unicode_emoji: str
    is_managed: bool
    is_mentionable: bool
    permissions: int
    position: int
    bot_id: int
    integration_id: int
    is_premium_subscriber_role: bool
    is_available_for_purchase: bool
    is_guild_linked_role: bool
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., color: _Optional[int] = ..., guild_id: _Optional[int] = ..., is_hoisted: _Optional[bool] = ..., icon_hash: _Optional[str] = ..., unicode_emoji: _Optional[str] = ..., is_managed: _Optional[bool] = ..., is_mentionable: _Optional[bool] = ..., permissions: _Optional[int] = ..., position: _Optional[int] = ..., bot_id: _Optional[int] = ..., integration_id: _Optional[int] = ..., is_premium_subscriber_role: _Optional[bool] = ..., is_available_for_purchase: _Optional[bool] = ..., is_guild_linked_role: _Optional[bool] = ...) -> None: ...
