import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from hikari_kura.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageNotificationsLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_NOTIFICATIONS_LEVEL_UNSPECIFIED: _ClassVar[MessageNotificationsLevel]
    MESSAGE_NOTIFICATIONS_LEVEL_ALL_MESSAGES: _ClassVar[MessageNotificationsLevel]
    MESSAGE_NOTIFICATIONS_LEVEL_ONLY_MENTIONS: _ClassVar[MessageNotificationsLevel]

class ExplicitContentFilterLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPLICIT_CONTENT_FILTER_LEVEL_UNSPECIFIED: _ClassVar[ExplicitContentFilterLevel]
    EXPLICIT_CONTENT_FILTER_LEVEL_DISABLED: _ClassVar[ExplicitContentFilterLevel]
    EXPLICIT_CONTENT_FILTER_LEVEL_MEMBERS_WITHOUT_ROLES: _ClassVar[ExplicitContentFilterLevel]
    EXPLICIT_CONTENT_FILTER_LEVEL_ALL_MEMBERS: _ClassVar[ExplicitContentFilterLevel]

class MFALevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MFA_LEVEL_UNSPECIFIED: _ClassVar[MFALevel]
    MFA_LEVEL_NONE: _ClassVar[MFALevel]
    MFA_LEVEL_ELEVATED: _ClassVar[MFALevel]

class PremiumTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREMIUM_TIER_UNSPECIFIED: _ClassVar[PremiumTier]
    PREMIUM_TIER_NONE: _ClassVar[PremiumTier]
    PREMIUM_TIER_TIER_1: _ClassVar[PremiumTier]
    PREMIUM_TIER_TIER_2: _ClassVar[PremiumTier]
    PREMIUM_TIER_TIER_3: _ClassVar[PremiumTier]

class VerificationLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_LEVEL_UNSPECIFIED: _ClassVar[VerificationLevel]
    VERIFICATION_LEVEL_NONE: _ClassVar[VerificationLevel]
    VERIFICATION_LEVEL_LOW: _ClassVar[VerificationLevel]
    VERIFICATION_LEVEL_MEDIUM: _ClassVar[VerificationLevel]
    VERIFICATION_LEVEL_HIGH: _ClassVar[VerificationLevel]
    VERIFICATION_LEVEL_VERY_HIGH: _ClassVar[VerificationLevel]

class NSFWLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NSFW_LEVEL_UNSPECIFIED: _ClassVar[NSFWLevel]
    NSFW_LEVEL_DEFAULT: _ClassVar[NSFWLevel]
    NSFW_LEVEL_EXPLICIT: _ClassVar[NSFWLevel]
    NSFW_LEVEL_SAFE: _ClassVar[NSFWLevel]
    NSFW_LEVEL_AGE_RESTRICTED: _ClassVar[NSFWLevel]
MESSAGE_NOTIFICATIONS_LEVEL_UNSPECIFIED: MessageNotificationsLevel
MESSAGE_NOTIFICATIONS_LEVEL_ALL_MESSAGES: MessageNotificationsLevel
MESSAGE_NOTIFICATIONS_LEVEL_ONLY_MENTIONS: MessageNotificationsLevel
EXPLICIT_CONTENT_FILTER_LEVEL_UNSPECIFIED: ExplicitContentFilterLevel
EXPLICIT_CONTENT_FILTER_LEVEL_DISABLED: ExplicitContentFilterLevel
EXPLICIT_CONTENT_FILTER_LEVEL_MEMBERS_WITHOUT_ROLES: ExplicitContentFilterLevel
EXPLICIT_CONTENT_FILTER_LEVEL_ALL_MEMBERS: ExplicitContentFilterLevel
MFA_LEVEL_UNSPECIFIED: MFALevel
MFA_LEVEL_NONE: MFALevel
MFA_LEVEL_ELEVATED: MFALevel
PREMIUM_TIER_UNSPECIFIED: PremiumTier
PREMIUM_TIER_NONE: PremiumTier
PREMIUM_TIER_TIER_1: PremiumTier
PREMIUM_TIER_TIER_2: PremiumTier
PREMIUM_TIER_TIER_3: PremiumTier
VERIFICATION_LEVEL_UNSPECIFIED: VerificationLevel
VERIFICATION_LEVEL_NONE: VerificationLevel
VERIFICATION_LEVEL_LOW: VerificationLevel
VERIFICATION_LEVEL_MEDIUM: VerificationLevel
VERIFICATION_LEVEL_HIGH: VerificationLevel
VERIFICATION_LEVEL_VERY_HIGH: VerificationLevel
NSFW_LEVEL_UNSPECIFIED: NSFWLevel
NSFW_LEVEL_DEFAULT: NSFWLevel
NSFW_LEVEL_EXPLICIT: NSFWLevel
NSFW_LEVEL_SAFE: NSFWLevel
NSFW_LEVEL_AGE_RESTRICTED: NSFWLevel

class Guild(_message.Message):
    __slots__ = ("id", "name", "icon_hash", "features", "incidents", "application_id", "afk_channel_id", "afk_timeout", "banner_hash", "default_message_notifications", "description", "discovery_splash_hash", "explicit_content_filter", "is_widget_enabled", "max_video_channel_users", "mfa_level", "owner_id", "preferred_locale", "premium_subscription_count", "premium_tier", "public_updates_channel_id", "rules_channel_id", "splash_hash", "system_channel_flags", "system_channel_id", "vanity_url_code", "verification_level", "widget_channel_id", "nsfw_level", "is_large", "joined_at", "member_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ICON_HASH_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    AFK_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    AFK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    BANNER_HASH_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MESSAGE_NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOVERY_SPLASH_HASH_FIELD_NUMBER: _ClassVar[int]
    EXPLICIT_CONTENT_FILTER_FIELD_NUMBER: _ClassVar[int]
    IS_WIDGET_ENABLED_FIELD_NUMBER: _ClassVar[int]
    MAX_VIDEO_CHANNEL_USERS_FIELD_NUMBER: _ClassVar[int]
    MFA_LEVEL_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_LOCALE_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_SUBSCRIPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_TIER_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_UPDATES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    RULES_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SPLASH_HASH_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CHANNEL_FLAGS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    VANITY_URL_CODE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    WIDGET_CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    NSFW_LEVEL_FIELD_NUMBER: _ClassVar[int]
    IS_LARGE_FIELD_NUMBER: _ClassVar[int]
    JOINED_AT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    icon_hash: str
    features: _containers.RepeatedScalarFieldContainer[str]
    incidents: GuildIncidents
    application_id: int
    afk_channel_id: int
    afk_timeout: _duration_pb2.Duration
    banner_hash: str
    default_message_notifications: MessageNotificationsLevel
    description: str
    discovery_splash_hash: str
    explicit_content_filter: ExplicitContentFilterLevel
    is_widget_enabled: bool
    max_video_channel_users: int
    mfa_level: MFALevel
    owner_id: int
    preferred_locale: str
    premium_subscription_count: int
    premium_tier: PremiumTier
    public_updates_channel_id: int
    rules_channel_id: int
    splash_hash: str
    system_channel_flags: int
    system_channel_id: int
    vanity_url_code: str
    verification_level: VerificationLevel
    widget_channel_id: int
    nsfw_level: NSFWLevel
    is_large: bool
    joined_at: _common_pb2.DateTime
    member_count: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., icon_hash: _Optional[str] = ..., features: _Optional[_Iterable[str]] = ..., incidents: _Optional[_Union[GuildIncidents, _Mapping]] = ..., application_id: _Optional[int] = ..., afk_channel_id: _Optional[int] = ..., afk_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., banner_hash: _Optional[str] = ..., default_message_notifications: _Optional[_Union[MessageNotificationsLevel, str]] = ..., description: _Optional[str] = ..., discovery_splash_hash: _Optional[str] = ..., explicit_content_filter: _Optional[_Union[ExplicitContentFilterLevel, str]] = ..., is_widget_enabled: _Optional[bool] = ..., max_video_channel_users: _Optional[int] = ..., mfa_level: _Optional[_Union[MFALevel, str]] = ..., owner_id: _Optional[int] = ..., preferred_locale: _Optional[str] = ..., premium_subscription_count: _Optional[int] = ..., premium_tier: _Optional[_Union[PremiumTier, str]] = ..., public_updates_channel_id: _Optional[int] = ..., rules_channel_id: _Optional[int] = ..., splash_hash: _Optional[str] = ..., system_channel_flags: _Optional[int] = ..., system_channel_id: _Optional[int] = ..., vanity_url_code: _Optional[str] = ..., verification_level: _Optional[_Union[VerificationLevel, str]] = ..., widget_channel_id: _Optional[int] = ..., nsfw_level: _Optional[_Union[NSFWLevel, str]] = ..., is_large: _Optional[bool] = ..., joined_at: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., member_count: _Optional[int] = ...) -> None: ...

class GuildIncidents(_message.Message):
    __slots__ = ("invites_disabled_until", "dms_disabled_until", "dm_spam_detected_at", "raid_detected_at")
    INVITES_DISABLED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    DMS_DISABLED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    DM_SPAM_DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    RAID_DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    invites_disabled_until: _common_pb2.DateTime
    dms_disabled_until: _common_pb2.DateTime
    dm_spam_detected_at: _common_pb2.DateTime
    raid_detected_at: _common_pb2.DateTime
    def __init__(self, invites_disabled_until: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., dms_disabled_until: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., dm_spam_detected_at: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., raid_detected_at: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ...) -> None: ...
