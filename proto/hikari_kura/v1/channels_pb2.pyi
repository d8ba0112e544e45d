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

class ChannelType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_TYPE_UNSPECIFIED: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_TEXT: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_VOICE: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_CATEGORY: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_NEWS: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_STAGE: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_FORUM: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_MEDIA: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_NEWS_THREAD: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_PUBLIC_THREAD: _ClassVar[ChannelType]
    CHANNEL_TYPE_GUILD_PRIVATE_THREAD: _ClassVar[ChannelType]

class VideoQualityMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VIDEO_QUALITY_MODE_UNSPECIFIED: _ClassVar[VideoQualityMode]
    VIDEO_QUALITY_MODE_RESERVED: _ClassVar[VideoQualityMode]
    VIDEO_QUALITY_MODE_AUTO: _ClassVar[VideoQualityMode]
    VIDEO_QUALITY_MODE_FULL: _ClassVar[VideoQualityMode]

class ForumSortOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORUM_SORT_ORDER_UNSPECIFIED: _ClassVar[ForumSortOrder]
    FORUM_SORT_ORDER_LATEST_ACTIVITY: _ClassVar[ForumSortOrder]
    FORUM_SORT_ORDER_CREATION_DATE: _ClassVar[ForumSortOrder]

class ForumLayout(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORUM_LAYOUT_UNSPECIFIED: _ClassVar[ForumLayout]
    FORUM_LAYOUT_NOT_SET: _ClassVar[ForumLayout]
    FORUM_LAYOUT_LIST_VIEW: _ClassVar[ForumLayout]
    FORUM_LAYOUT_GALLERY_VIEW: _ClassVar[ForumLayout]
CHANNEL_TYPE_UNSPECIFIED: ChannelType
CHANNEL_TYPE_GUILD_TEXT: ChannelType
CHANNEL_TYPE_GUILD_VOICE: ChannelType
CHANNEL_TYPE_GUILD_CATEGORY: ChannelType
CHANNEL_TYPE_GUILD_NEWS: ChannelType
CHANNEL_TYPE_GUILD_STAGE: ChannelType
CHANNEL_TYPE_GUILD_FORUM: ChannelType
CHANNEL_TYPE_GUILD_MEDIA: ChannelType
CHANNEL_TYPE_GUILD_NEWS_THREAD: ChannelType
CHANNEL_TYPE_GUILD_PUBLIC_THREAD: ChannelType
CHANNEL_TYPE_GUILD_PRIVATE_THREAD: ChannelType
VIDEO_QUALITY_MODE_UNSPECIFIED: VideoQualityMode
VIDEO_QUALITY_MODE_RESERVED: VideoQualityMode
VIDEO_QUALITY_MODE_AUTO: VideoQualityMode
VIDEO_QUALITY_MODE_FULL: VideoQualityMode
FORUM_SORT_ORDER_UNSPECIFIED: ForumSortOrder
FORUM_SORT_ORDER_LATEST_ACTIVITY: ForumSortOrder
FORUM_SORT_ORDER_CREATION_DATE: ForumSortOrder
FORUM_LAYOUT_UNSPECIFIED: ForumLayout
FORUM_LAYOUT_NOT_SET: ForumLayout
FORUM_LAYOUT_LIST_VIEW: ForumLayout
FORUM_LAYOUT_GALLERY_VIEW: ForumLayout

class GuildChannel(_message.Message):
    __slots__ = ("id", "name", "guild_id", "application_id", "parent_id", "position", "is_nsfw", "permission_overwrites", "flags", "text", "voice", "category", "news", "stage", "forum", "media", "news_thread", "public_thread", "private_thread")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    IS_NSFW_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_OVERWRITES_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    NEWS_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FORUM_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    NEWS_THREAD_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_THREAD_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_THREAD_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    guild_id: int
    application_id: int
    parent_id: int
    position: int
    is_nsfw: bool
    permission_overwrites: _containers.RepeatedCompositeFieldContainer[_common_pb2.PermissionOverwrite]
    flags: int
    text: TextChannel
    voice: VoiceChannel
    category: CategoryChannel
    news: NewsChannel
    stage: VoiceChannel
    forum: ForumChannel
    media: ForumChannel
    news_thread: Thread
    public_thread: Thread
    private_thread: Thread
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., guild_id: _Optional[int] = ..., application_id: _Optional[int] = ..., parent_id: _Optional[int] = ..., position: _Optional[int] = ..., is_nsfw: _Optional[bool] = ..., permission_overwrites: _Optional[_Iterable[_Union[_common_pb2.PermissionOverwrite, _Mapping]]] = ..., flags: _Optional[int] = ..., text: _Optional[_Union[TextChannel, _Mapping]] = ..., voice: _Optional[_Union[VoiceChannel, _Mapping]] = ..., category: _Optional[_Union[CategoryChannel, _Mapping]] = ..., news: _Optional[_Union[NewsChannel, _Mapping]] = ..., stage: _Optional[_Union[VoiceChannel, _Mapping]] = ..., forum: _Optional[_Union[ForumChannel, _Mapping]] = ..., media: _Optional[_Union[ForumChannel, _Mapping]] = ..., news_thread: _Optional[_Union[Thread, _Mapping]] = ..., public_thread: _Optional[_Union[Thread, _Mapping]] = ..., private_thread: _Optional[_Union[Thread, _Mapping]] = ...) -> None: ...

class TextChannel(_message.Message):
    __slots__ = ("topic", "last_message_id", "rate_limit_per_user", "last_pin_timestamp", "default_auto_archive_duration")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_USER_FIELD_NUMBER: _ClassVar[int]
    LAST_PIN_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_AUTO_ARCHIVE_DURATION_FIELD_NUMBER: _ClassVar[int]
    topic: str
    last_message_id: int
    rate_limit_per_user: _duration_pb2.Duration
    last_pin_timestamp: _common_pb2.DateTime
    default_auto_archive_duration: _duration_pb2.Duration
    def __init__(self, topic: _Optional[str] = ..., last_message_id: _Optional[int] = ..., rate_limit_per_user: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., last_pin_timestamp: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., default_auto_archive_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class NewsChannel(_message.Message):
    __slots__ = ("topic", "last_message_id", "last_pin_timestamp", "default_auto_archive_duration")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_PIN_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_AUTO_ARCHIVE_DURATION_FIELD_NUMBER: _ClassVar[int]
    topic: str
    last_message_id: int
    last_pin_timestamp: _common_pb2.DateTime
    default_auto_archive_duration: _duration_pb2.Duration
    def __init__(self, topic: _Optional[str] = ..., last_message_id: _Optional[int] = ..., last_pin_timestamp: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., default_auto_archive_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CategoryChannel(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VoiceChannel(_message.Message):
    __slots__ = ("bitrate", "region", "user_limit", "video_quality_mode", "last_message_id")
    BITRATE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    USER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    VIDEO_QUALITY_MODE_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    bitrate: int
    region: str
    user_limit: int
    video_quality_mode: VideoQualityMode
    last_message_id: int
    def __init__(self, bitrate: _Optional[int] = ..., region: _Optional[str] = ..., user_limit: _Optional[int] = ..., video_quality_mode: _Optional[_Union[VideoQualityMode, str]] = ..., last_message_id: _Optional[int] = ...) -> None: ...

class ForumChannel(_message.Message):
    __slots__ = ("topic", "last_thread_id", "rate_limit_per_user", "default_thread_rate_limit_per_user", "default_auto_archive_duration", "available_tags", "default_sort_order", "default_layout", "default_reaction_emoji_id", "default_reaction_emoji_name")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    LAST_THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_USER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_THREAD_RATE_LIMIT_PER_USER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_AUTO_ARCHIVE_DURATION_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_TAGS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_REACTION_EMOJI_ID_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_REACTION_EMOJI_NAME_FIELD_NUMBER: _ClassVar[int]
    topic: str
    last_thread_id: int
    rate_limit_per_user: _duration_pb2.Duration
    default_thread_rate_limit_per_user: _duration_pb2.Duration
    default_auto_archive_duration: _duration_pb2.Duration
    available_tags: _containers.RepeatedCompositeFieldContainer[ForumTag]
    default_sort_order: ForumSortOrder
    default_layout: ForumLayout
    default_reaction_emoji_id: int
    default_reaction_emoji_name: str
    def __init__(self, topic: _Optional[str] = ..., last_thread_id: _Optional[int] = ..., rate_limit_per_user: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., default_thread_rate_limit_per_user: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., default_auto_archive_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., available_tags: _Optional[_Iterable[_Union[ForumTag, _Mapping]]] = ..., default_sort_order: _Optional[_Union[ForumSortOrder, str]] = ..., default_layout: _Optional[_Union[ForumLayout, str]] = ..., default_reaction_emoji_id: _Optional[int] = ..., default_reaction_emoji_name: _Optional[str] = ...) -> None: ...

class ForumTag(_message.Message):
    __slots__ = ("id", "name", "moderated", "emoji_id", "emoji_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODERATED_FIELD_NUMBER: _ClassVar[int]
    EMOJI_ID_FIELD_NUMBER: _ClassVar[int]
    EMOJI_NAME_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    moderated: bool
    emoji_id: int
    emoji_name: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., moderated: _Optional[bool] = ..., emoji_id: _Optional[int] = ..., emoji_name: _Optional[str] = ...) -> None: ...

class Thread(_message.Message):
    __slots__ = ("last_message_id", "last_pin_timestamp", "rate_limit_per_user", "approximate_message_count", "approximate_member_count", "member", "owner_id", "metadata", "applied_tag_ids")
    LAST_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_PIN_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_USER_FIELD_NUMBER: _ClassVar[int]
    APPROXIMATE_MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    APPROXIMATE_MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    APPLIED_TAG_IDS_FIELD_NUMBER: _ClassVar[int]
    last_message_id: int
    last_pin_timestamp: _common_pb2.DateTime
    rate_limit_per_user: _duration_pb2.Duration
    approximate_message_count: int
    approximate_member_count: int
    member: ThreadMember
    owner_id: int
    metadata: ThreadMetadata
    applied_tag_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, last_message_id: _Optional[int] = ..., last_pin_timestamp: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., rate_limit_per_user: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., approximate_message_count: _Optional[int] = ..., approximate_member_count: _Optional[int] = ..., member: _Optional[_Union[ThreadMember, _Mapping]] = ..., owner_id: _Optional[int] = ..., metadata: _Optional[_Union[ThreadMetadata, _Mapping]] = ..., applied_tag_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class ThreadMember(_message.Message):
    __slots__ = ("thread_id", "user_id", "joined_at", "flags")
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    JOINED_AT_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    thread_id: int
    user_id: int
    joined_at: _common_pb2.DateTime
    flags: int
    def __init__(self, thread_id: _Optional[int] = ..., user_id: _Optional[int] = ..., joined_at: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., flags: _Optional[int] = ...) -> None: ...

class ThreadMetadata(_message.Message):
    __slots__ = ("is_archived", "is_invitable", "auto_archive_duration", "archive_timestamp", "is_locked", "created_at")
    IS_ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    IS_INVITABLE_FIELD_NUMBER: _ClassVar[int]
    AUTO_ARCHIVE_DURATION_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    IS_LOCKED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    is_archived: bool
    is_invitable: bool
    auto_archive_duration: _duration_pb2.Duration
    archive_timestamp: _common_pb2.DateTime
    is_locked: bool
    created_at: _common_pb2.DateTime
    def __init__(self, is_archived: _Optional[bool] = ..., is_invitable: _Optional[bool] = ..., auto_archive_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., archive_timestamp: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., is_locked: _Optional[bool] = ..., created_at: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ...) -> None: ...
