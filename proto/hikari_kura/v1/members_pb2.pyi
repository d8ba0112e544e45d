from hikari_kura.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Member(_message.Message):
    __slots__ = ("guild_id", "user", "is_deaf", "is_mute", "is_pending", "joined_at", "nickname", "premium_since", "raw_communication_disabled_until", "role_ids", "guild_avatar_decoration", "guild_avatar_hash", "guild_banner_hash", "guild_flags")
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    IS_DEAF_FIELD_NUMBER: _ClassVar[int]
    IS_MUTE_FIELD_NUMBER: _ClassVar[int]
    IS_PENDING_FIELD_NUMBER: _ClassVar[int]
    JOINED_AT_FIELD_NUMBER: _ClassVar[int]
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_SINCE_FIELD_NUMBER: _ClassVar[int]
    RAW_COMMUNICATION_DISABLED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_IDS_FIELD_NUMBER: _ClassVar[int]
    GUILD_AVATAR_DECORATION_FIELD_NUMBER: _ClassVar[int]
    GUILD_AVATAR_HASH_FIELD_NUMBER: _ClassVar[int]
    GUILD_BANNER_HASH_FIELD_NUMBER: _ClassVar[int]
    GUILD_FLAGS_FIELD_NUMBER: _ClassVar[int]
    guild_id: int
    user: User
    is_deaf: bool
    is_mute: bool
    is_pending: bool
    joined_at: _common_pb2.DateTime
    nickname: str
    premium_since: _common_pb2.DateTime
    raw_communication_disabled_until: _common_pb2.DateTime
    role_ids: _containers.RepeatedScalarFieldContainer[int]
    guild_avatar_decoration: _common_pb2.AvatarDecoration
    guild_avatar_hash: str
    guild_banner_hash: str
    guild_flags: int
    def __init__(self, guild_id: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ..., is_deaf: _Optional[bool] = ..., is_mute: _Optional[bool] = ..., is_pending: _Optional[bool] = ..., joined_at: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., nickname: _Optional[str] = ..., premium_since: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., raw_communication_disabled_until: _Optional[_Union[_common_pb2.DateTime, _Mapping]] = ..., role_ids: _Optional[_Iterable[int]] = ..., guild_avatar_decoration: _Optional[_Union[_common_pb2.AvatarDecoration, _Mapping]] = ..., guild_avatar_hash: _Optional[str] = ..., guild_banner_hash: _Optional[str] = ..., guild_flags: _Optional[int] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "discriminator", "username", "global_name", "avatar_decoration", "avatar_hash", "banner_hash", "accent_color", "is_bot", "is_system", "flags", "primary_guild")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISCRIMINATOR_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_DECORATION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_HASH_FIELD_NUMBER: _ClassVar[int]
    BANNER_HASH_FIELD_NUMBER: _ClassVar[int]
    ACCENT_COLOR_FIELD_NUMBER: _ClassVar[int]
    IS_BOT_FIELD_NUMBER: _ClassVar[int]
    IS_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_GUILD_FIELD_NUMBER: _ClassVar[int]
    id: int
    discriminator: str
    username: str
    global_name: str
    avatar_decoration: _common_pb2.AvatarDecoration
    avatar_hash: str
    banner_hash: str
    accent_color: int
    is_bot: bool
    is_system: bool
    flags: int
    primary_guild: PrimaryGuild
    def __init__(self, id: _Optional[int] = ..., discriminator: _Optional[str] = ..., username: _Optional[str] = ..., global_name: _Optional[str] = ..., avatar_decoration: _Optional[_Union[_common_pb2.AvatarDecoration, _Mapping]] = ..., avatar_hash: _Optional[str] = ..., banner_hash: _Optional[str] = ..., accent_color: _Optional[int] = ..., is_bot: _Optional[bool] = ..., is_system: _Optional[bool] = ..., flags: _Optional[int] = ..., primary_guild: _Optional[_Union[PrimaryGuild, _Mapping]] = ...) -> None: ...

class PrimaryGuild(_message.Message):
    __slots__ = ("identity_guild_id", "identity_enabled", "tag", "badge_hash")
    IDENTITY_GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_ENABLED_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    BADGE_HASH_FIELD_NUMBER: _ClassVar[int]
    identity_guild_id: int
    identity_enabled: bool
    tag: str
    badge_hash: str
    def __init__(self, identity_guild_id: _Optional[int] = ..., identity_enabled: _Optional[bool] = ..., tag: _Optional[str] = ..., badge_hash: _Optional[str] = ...) -> None: ...
