from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(_message.Message):
    __slots__ = ("id", "guild_id", "name", "color", "colors", "is_hoisted", "icon_hash", "unicode_emoji", "is_managed", "is_mentionable", "permissions", "position", "bot_id", "integration_id", "is_premium_subscriber_role", "subscription_listing_id", "is_available_for_purchase", "is_guild_linked_role")
    ID_FIELD_NUMBER: _ClassVar[int]
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    COLORS_FIELD_NUMBER: _ClassVar[int]
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
    SUBSCRIPTION_LISTING_ID_FIELD_NUMBER: _ClassVar[int]
    IS_AVAILABLE_FOR_PURCHASE_FIELD_NUMBER: _ClassVar[int]
    IS_GUILD_LINKED_ROLE_FIELD_NUMBER: _ClassVar[int]
    id: int
    guild_id: int
    name: str
    color: int
    colors: ColorGradient
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
    subscription_listing_id: int
    is_available_for_purchase: bool
    is_guild_linked_role: bool
    def __init__(self, id: _Optional[int] = ..., guild_id: _Optional[int] = ..., name: _Optional[str] = ..., color: _Optional[int] = ..., colors: _Optional[_Union[ColorGradient, _Mapping]] = ..., is_hoisted: _Optional[bool] = ..., icon_hash: _Optional[str] = ..., unicode_emoji: _Optional[str] = ..., is_managed: _Optional[bool] = ..., is_mentionable: _Optional[bool] = ..., permissions: _Optional[int] = ..., position: _Optional[int] = ..., bot_id: _Optional[int] = ..., integration_id: _Optional[int] = ..., is_premium_subscriber_role: _Optional[bool] = ..., subscription_listing_id: _Optional[int] = ..., is_available_for_purchase: _Optional[bool] = ..., is_guild_linked_role: _Optional[bool] = ...) -> None: ...

class ColorGradient(_message.Message):
    __slots__ = ("primary_color", "secondary_color", "tertiary_color")
    PRIMARY_COLOR_FIELD_NUMBER: _ClassVar[int]
    SECONDARY_COLOR_FIELD_NUMBER: _ClassVar[int]
    TERTIARY_COLOR_FIELD_NUMBER: _ClassVar[int]
    primary_color: int
    secondary_color: int
    tertiary_color: int
    def __init__(self, primary_color: _Optional[int] = ..., secondary_color: _Optional[int] = ..., tertiary_color: _Optional[int] = ...) -> None: ...
