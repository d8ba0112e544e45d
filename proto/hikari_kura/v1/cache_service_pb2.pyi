import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from hikari_kura.v1 import channels_pb2 as _channels_pb2
from hikari_kura.v1 import guilds_pb2 as _guilds_pb2
from hikari_kura.v1 import members_pb2 as _members_pb2
from hikari_kura.v1 import queries_pb2 as _queries_pb2
from hikari_kura.v1 import roles_pb2 as _roles_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WriteRequest(_message.Message):
    __slots__ = ("ops",)
    OPS_FIELD_NUMBER: _ClassVar[int]
    ops: _containers.RepeatedCompositeFieldContainer[WriteOp]
    def __init__(self, ops: _Optional[_Iterable[_Union[WriteOp, _Mapping]]] = ...) -> None: ...

class WriteOp(_message.Message):
    __slots__ = ("seq", "partial", "upsert_guilds", "delete_guild", "upsert_channels", "delete_channel", "upsert_members", "delete_member", "upsert_roles", "delete_role", "clear", "prune")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    UPSERT_GUILDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_GUILD_FIELD_NUMBER: _ClassVar[int]
    UPSERT_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    DELETE_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    UPSERT_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    DELETE_MEMBER_FIELD_NUMBER: _ClassVar[int]
    UPSERT_ROLES_FIELD_NUMBER: _ClassVar[int]
    DELETE_ROLE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    PRUNE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    partial: bool
    upsert_guilds: UpsertGuildsRequest
    delete_guild: DeleteGuildRequest
    upsert_channels: UpsertChannelsRequest
    delete_channel: DeleteChannelRequest
    upsert_members: UpsertMembersRequest
    delete_member: DeleteMemberRequest
    upsert_roles: UpsertRolesRequest
    delete_role: DeleteRoleRequest
    clear: ClearRequest
    prune: PruneRequest
    def __init__(self, seq: _Optional[int] = ..., partial: _Optional[bool] = ..., upsert_guilds: _Optional[_Union[UpsertGuildsRequest, _Mapping]] = ..., delete_guild: _Optional[_Union[DeleteGuildRequest, _Mapping]] = ..., upsert_channels: _Optional[_Union[UpsertChannelsRequest, _Mapping]] = ..., delete_channel: _Optional[_Union[DeleteChannelRequest, _Mapping]] = ..., upsert_members: _Optional[_Union[UpsertMembersRequest, _Mapping]] = ..., delete_member: _Optional[_Union[DeleteMemberRequest, _Mapping]] = ..., upsert_roles: _Optional[_Union[UpsertRolesRequest, _Mapping]] = ..., delete_role: _Optional[_Union[DeleteRoleRequest, _Mapping]] = ..., clear: _Optional[_Union[ClearRequest, _Mapping]] = ..., prune: _Optional[_Union[PruneRequest, _Mapping]] = ...) -> None: ...

class WriteResponse(_message.Message):
    __slots__ = ("session_opened", "committed_through", "failure")
    SESSION_OPENED_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_THROUGH_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    session_opened: SessionOpened
    committed_through: int
    failure: WriteFailure
    def __init__(self, session_opened: _Optional[_Union[SessionOpened, _Mapping]] = ..., committed_through: _Optional[int] = ..., failure: _Optional[_Union[WriteFailure, _Mapping]] = ...) -> None: ...

class SessionOpened(_message.Message):
    __slots__ = ("session_id", "max_message_bytes")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    session_id: int
    max_message_bytes: int
    def __init__(self, session_id: _Optional[int] = ..., max_message_bytes: _Optional[int] = ...) -> None: ...

class WriteFailure(_message.Message):
    __slots__ = ("seq", "code", "message")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    code: int
    message: str
    def __init__(self, seq: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class UpsertGuildsRequest(_message.Message):
    __slots__ = ("guilds",)
    GUILDS_FIELD_NUMBER: _ClassVar[int]
    guilds: _containers.RepeatedCompositeFieldContainer[_guilds_pb2.Guild]
    def __init__(self, guilds: _Optional[_Iterable[_Union[_guilds_pb2.Guild, _Mapping]]] = ...) -> None: ...

class UpsertGuildsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteGuildRequest(_message.Message):
    __slots__ = ("guild_id",)
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    guild_id: int
    def __init__(self, guild_id: _Optional[int] = ...) -> None: ...

class DeleteGuildResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpsertChannelsRequest(_message.Message):
    __slots__ = ("channels",)
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    channels: _containers.RepeatedCompositeFieldContainer[_channels_pb2.GuildChannel]
    def __init__(self, channels: _Optional[_Iterable[_Union[_channels_pb2.GuildChannel, _Mapping]]] = ...) -> None: ...

class UpsertChannelsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteChannelRequest(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: int
    def __init__(self, channel_id: _Optional[int] = ...) -> None: ...

class DeleteChannelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpsertMembersRequest(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_members_pb2.Member]
    def __init__(self, members: _Optional[_Iterable[_Union[_members_pb2.Member, _Mapping]]] = ...) -> None: ...

class UpsertMembersResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteMemberRequest(_message.Message):
    __slots__ = ("guild_id", "user_id")
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    guild_id: int
    user_id: int
    def __init__(self, guild_id: _Optional[int] = ..., user_id: _Optional[int] = ...) -> None: ...

class DeleteMemberResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpsertRolesRequest(_message.Message):
    __slots__ = ("roles",)
    ROLES_FIELD_NUMBER: _ClassVar[int]
    roles: _containers.RepeatedCompositeFieldContainer[_roles_pb2.Role]
    def __init__(self, roles: _Optional[_Iterable[_Union[_roles_pb2.Role, _Mapping]]] = ...) -> None: ...

class UpsertRolesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteRoleRequest(_message.Message):
    __slots__ = ("role_id",)
    ROLE_ID_FIELD_NUMBER: _ClassVar[int]
    role_id: int
    def __init__(self, role_id: _Optional[int] = ...) -> None: ...

class DeleteRoleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ClearRequest(_message.Message):
    __slots__ = ("channels", "guilds", "members", "roles")
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    GUILDS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    channels: bool
    guilds: bool
    members: bool
    roles: bool
    def __init__(self, channels: _Optional[bool] = ..., guilds: _Optional[bool] = ..., members: _Optional[bool] = ..., roles: _Optional[bool] = ...) -> None: ...

class ClearResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PruneRequest(_message.Message):
    __slots__ = ("shard_id", "shard_count")
    SHARD_ID_FIELD_NUMBER: _ClassVar[int]
    SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    shard_id: int
    shard_count: int
    def __init__(self, shard_id: _Optional[int] = ..., shard_count: _Optional[int] = ...) -> None: ...

class PruneResponse(_message.Message):
    __slots__ = ("guilds", "channels", "members", "roles")
    GUILDS_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    guilds: int
    channels: int
    members: int
    roles: int
    def __init__(self, guilds: _Optional[int] = ..., channels: _Optional[int] = ..., members: _Optional[int] = ..., roles: _Optional[int] = ...) -> None: ...

class IterGuildsRequest(_message.Message):
    __slots__ = ("query", "batch_size", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: _queries_pb2.GuildQuery
    batch_size: int
    limit: int
    def __init__(self, query: _Optional[_Union[_queries_pb2.GuildQuery, _Mapping]] = ..., batch_size: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class IterGuildsResponse(_message.Message):
    __slots__ = ("guilds",)
    GUILDS_FIELD_NUMBER: _ClassVar[int]
    guilds: _containers.RepeatedCompositeFieldContainer[_guilds_pb2.Guild]
    def __init__(self, guilds: _Optional[_Iterable[_Union[_guilds_pb2.Guild, _Mapping]]] = ...) -> None: ...

class IterChannelsRequest(_message.Message):
    __slots__ = ("query", "batch_size", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: _queries_pb2.ChannelQuery
    batch_size: int
    limit: int
    def __init__(self, query: _Optional[_Union[_queries_pb2.ChannelQuery, _Mapping]] = ..., batch_size: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class IterChannelsResponse(_message.Message):
    __slots__ = ("channels",)
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    channels: _containers.RepeatedCompositeFieldContainer[_channels_pb2.GuildChannel]
    def __init__(self, channels: _Optional[_Iterable[_Union[_channels_pb2.GuildChannel, _Mapping]]] = ...) -> None: ...

class IterMembersRequest(_message.Message):
    __slots__ = ("query", "batch_size", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: _queries_pb2.MemberQuery
    batch_size: int
    limit: int
    def __init__(self, query: _Optional[_Union[_queries_pb2.MemberQuery, _Mapping]] = ..., batch_size: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class IterMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_members_pb2.Member]
    def __init__(self, members: _Optional[_Iterable[_Union[_members_pb2.Member, _Mapping]]] = ...) -> None: ...

class IterRolesRequest(_message.Message):
    __slots__ = ("query", "batch_size", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: _queries_pb2.RoleQuery
    batch_size: int
    limit: int
    def __init__(self, query: _Optional[_Union[_queries_pb2.RoleQuery, _Mapping]] = ..., batch_size: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class IterRolesResponse(_message.Message):
    __slots__ = ("roles",)
    ROLES_FIELD_NUMBER: _ClassVar[int]
    roles: _containers.RepeatedCompositeFieldContainer[_roles_pb2.Role]
    def __init__(self, roles: _Optional[_Iterable[_Union[_roles_pb2.Role, _Mapping]]] = ...) -> None: ...

class SnapshotRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SnapshotResponse(_message.Message):
    __slots__ = ("chunk", "total_bytes")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    total_bytes: int
    def __init__(self, chunk: _Optional[bytes] = ..., total_bytes: _Optional[int] = ...) -> None: ...

class RestoreRequest(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    def __init__(self, chunk: _Optional[bytes] = ...) -> None: ...

class RestoreResponse(_message.Message):
    __slots__ = ("guilds", "channels", "members", "roles")
    GUILDS_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    guilds: int
    channels: int
    members: int
    roles: int
    def __init__(self, guilds: _Optional[int] = ..., channels: _Optional[int] = ..., members: _Optional[int] = ..., roles: _Optional[int] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ("guilds", "channels", "members", "roles", "database_bytes", "open_sessions", "write_queue_depth", "transactions", "uptime", "schema_version", "server_version")
    GUILDS_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    DATABASE_BYTES_FIELD_NUMBER: _ClassVar[int]
    OPEN_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    WRITE_QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    guilds: int
    channels: int
    members: int
    roles: int
    database_bytes: int
    open_sessions: int
    write_queue_depth: int
    transactions: int
    uptime: _duration_pb2.Duration
    schema_version: int
    server_version: str
    def __init__(self, guilds: _Optional[int] = ..., channels: _Optional[int] = ..., members: _Optional[int] = ..., roles: _Optional[int] = ..., database_bytes: _Optional[int] = ..., open_sessions: _Optional[int] = ..., write_queue_depth: _Optional[int] = ..., transactions: _Optional[int] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schema_version: _Optional[int] = ..., server_version: _Optional[str] = ...) -> None: ...
