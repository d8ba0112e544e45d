"""The Kura client: hikari's cache ``Backend`` interface, forwarded to a Kura server over gRPC.

A bot swaps its in-process cache backend for ``GrpcBackend(target, app=bot)``, and
``Cache(bot, backend)`` keeps the bot's gateway events in it and answers queries;
many bot processes can share one server.
"""

from hikari_kura.client.backend import Backend
from hikari_kura.client.cache import Cache
from hikari_kura.client.channel import TLSConfig
from hikari_kura.client.errors import (
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    KuraError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
)
from hikari_kura.client.grpc_backend import GrpcBackend
from hikari_kura.client.iterators import CacheIterator, CacheIteratorStep
from hikari_kura.client.queries import ChannelQuery, GuildQuery, MemberQuery, RoleQuery
from hikari_kura.client.reconnect import ReconnectPolicy
from hikari_kura.client.rules import CacheRules
from hikari_kura.client.write_stream import WriteError

__all__ = (
    "Backend",
    "Cache",
    "CacheIterator",
    "CacheIteratorStep",
    "CacheRules",
    "ChannelQuery",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "GrpcBackend",
    "GuildQuery",
    "InternalError",
    "InvalidArgumentError",
    "KuraError",
    "MemberQuery",
    "PermissionDeniedError",
    "ReconnectPolicy",
    "ResourceExhaustedError",
    "RoleQuery",
    "TLSConfig",
    "UnauthenticatedError",
    "UnavailableError",
    "WriteError",
)
