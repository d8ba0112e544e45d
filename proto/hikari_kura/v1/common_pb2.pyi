import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PermissionOverwriteType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERMISSION_OVERWRITE_TYPE_UNSPECIFIED: _ClassVar[PermissionOverwriteType]
    PERMISSION_OVERWRITE_TYPE_ROLE: _ClassVar[PermissionOverwriteType]
    PERMISSION_OVERWRITE_TYPE_MEMBER: _ClassVar[PermissionOverwriteType]
PERMISSION_OVERWRITE_TYPE_UNSPECIFIED: PermissionOverwriteType
PERMISSION_OVERWRITE_TYPE_ROLE: PermissionOverwriteType
PERMISSION_OVERWRITE_TYPE_MEMBER: PermissionOverwriteType

class DateTime(_message.Message):
    __slots__ = ("instant", "utc_offset_seconds")
    INSTANT_FIELD_NUMBER: _ClassVar[int]
    UTC_OFFSET_SECONDS_FIELD_NUMBER: _ClassVar[int]
    instant: _timestamp_pb2.Timestamp
    utc_offset_seconds: int
    def __init__(self, instant: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., utc_offset_seconds: _Optional[int] = ...) -> None: ...

class PermissionOverwrite(_message.Message):
    __slots__ = ("id", "type", "allow", "deny")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FIELD_NUMBER: _ClassVar[int]
    DENY_FIELD_NUMBER: _ClassVar[int]
    id: int
    type: PermissionOverwriteType
    allow: int
    deny: int
    def __init__(self, id: _Optional[int] = ..., type: _Optional[_Union[PermissionOverwriteType, str]] = ..., allow: _Optional[int] = ..., deny: _Optional[int] = ...) -> None: ...

class AvatarDecoration(_message.Message):
    __slots__ = ("asset_hash", "sku_id", "expires_at")
    ASSET_HASH_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    asset_hash: str
    sku_id: int
    expires_at: DateTime
    def __init__(self, asset_hash: _Optional[str] = ..., sku_id: _Optional[int] = ..., expires_at: _Optional[_Union[DateTime, _Mapping]] = ...) -> None: ...
