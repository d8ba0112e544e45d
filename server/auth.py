"""Bearer-token authentication: who may call which RPC.

Each token has a role: ``read`` may run queries and read stats, ``write`` may do what a bot
does (its write session, unary writes, a prune of its own shard's guilds), ``admin`` may do
everything, the cache-wide operations (Clear, Snapshot, Restore, a prune of every shard)
included. ``METHOD_ROLES`` is the one table of what each RPC needs; ``operation_role`` adds
what one write operation needs, since the Write stream and Prune carry cache-wide operations
too. A call presents its token as ``authorization: Bearer <token>`` metadata. Tokens are
compared in constant time against every configured token, and never logged. The health
service stays open for probes, and so does reflection (when turned on): it describes only the
public contract, and grpcurl needs it to call health without ``.proto`` files.
"""

from __future__ import annotations

import collections.abc
import enum
import hashlib
import hmac
import logging
import pathlib
import re
import typing

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from hikari_kura.server import logs
from hikari_kura.v1 import cache_service_pb2

_LOGGER = logging.getLogger(__name__)

_SCHEME: typing.Final = "bearer "
_CACHE_SERVICE: typing.Final = "/hikari_kura.v1.CacheService/"
OPEN_SERVICES: typing.Final = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
"""Services anyone may call: probes, and the schema (no data) for tools like grpcurl."""
CACHE_METHODS: typing.Final = tuple(
    method.name for method in cache_service_pb2.DESCRIPTOR.services_by_name["CacheService"].methods
)
"""Every RPC of the CacheService, as its descriptor names them."""
_REFLECTION: typing.Final = reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"]
KNOWN_METHODS: typing.Final = frozenset(
    (
        *(f"{_CACHE_SERVICE}{name}" for name in CACHE_METHODS),
        *(
            f"/grpc.health.v1.Health/{method.name}"
            for method in health_pb2.DESCRIPTOR.services_by_name["Health"].methods
        ),
        # Reflection is served as v1alpha and v1, with the same methods.
        *(
            f"/grpc.reflection.{version}.ServerReflection/{method.name}"
            for version in ("v1alpha", "v1")
            for method in _REFLECTION.methods
        ),
    )
)
"""Every method path the server serves."""
UNKNOWN_METHOD: typing.Final = "unknown"


def method_label(method: str) -> str:
    """Return the metrics label of ``method`` (``/package.Service/Method``): its name, or "unknown".

    A client may call any path it likes; a label from it would add a series per path, for good.
    """
    return method.rsplit("/", 1)[-1] if method in KNOWN_METHODS else UNKNOWN_METHOD


RefusalCallback: typing.TypeAlias = collections.abc.Callable[[str, grpc.StatusCode], None]


class Role(enum.IntEnum):
    """What a token may do; a higher role may do everything a lower one may."""

    READ = 1
    WRITE = 2
    ADMIN = 3

    @property
    def article(self) -> str:
        """The role with its article, for messages: "a read", "an admin"."""
        return f"{'an' if self is Role.ADMIN else 'a'} {self.name.lower()}"


METHOD_ROLES: typing.Final[collections.abc.Mapping[str, Role]] = {
    "Write": Role.WRITE,
    "UpsertGuilds": Role.WRITE,
    "DeleteGuild": Role.WRITE,
    "UpsertChannels": Role.WRITE,
    "DeleteChannel": Role.WRITE,
    "UpsertMembers": Role.WRITE,
    "DeleteMember": Role.WRITE,
    "UpsertRoles": Role.WRITE,
    "DeleteRole": Role.WRITE,
    "Clear": Role.ADMIN,
    "Prune": Role.WRITE,  # of one shard's guilds; of every shard needs admin (see operation_role)
    "IterGuilds": Role.READ,
    "IterChannels": Role.READ,
    "IterMembers": Role.READ,
    "IterRoles": Role.READ,
    "Snapshot": Role.ADMIN,
    "Restore": Role.ADMIN,
    "GetStats": Role.READ,
}
"""The role each CacheService RPC needs. Snapshot copies the whole database (server bookkeeping
included) and Restore and Clear replace or empty it: an operator's jobs, not a bot's."""


def operation_role(name: str, request: typing.Any) -> Role:
    """Return the role one write operation (``clear``, ``prune``, ``upsert_roles``, ...) needs.

    A bot's write session prunes the guilds of the shard it runs (``prune_shard``), which removes
    only what no open session wrote in that shard's guilds. A prune without shard fields removes
    the stale objects of every shard, those of other bots' shards that are reconnecting included,
    and ``clear`` empties the cache: both are cache-wide, so both need ``admin``, whether they come
    as the unary RPC or as an op of the Write stream.
    """
    if name == "clear":
        return Role.ADMIN
    if name == "prune" and not (request.HasField("shard_id") or request.HasField("shard_count")):
        return Role.ADMIN
    return Role.WRITE


class TokenError(ValueError):
    """A token list that cannot be used; the message says where and why (never the token)."""


def parse_tokens(text: str, source: str) -> list[tuple[Role, str]]:
    """Parse ``role token`` entries, one per line or separated by commas; a line starting ``#`` is a comment.

    ``source`` names where the text came from, for error messages.
    """
    tokens: list[tuple[Role, str]] = []
    for number, item in enumerate(re.split(r"[\n,]", text), 1):
        entry = item.strip()
        if not entry or entry.startswith("#"):
            continue
        parts = entry.split()
        if len(parts) != 2:
            raise TokenError(f"{source}: entry {number}: expected 'read TOKEN', 'write TOKEN' or 'admin TOKEN'")
        role_name, token = parts
        try:
            role = Role[role_name.upper()]
        except KeyError:
            raise TokenError(f"{source}: entry {number}: unknown role {role_name!r} (read, write or admin)") from None
        if len(token) < 16:
            raise TokenError(f"{source}: entry {number}: a token must be at least 16 characters")
        tokens.append((role, token))
    return tokens


def load_tokens(path: pathlib.Path | None, inline: str) -> list[tuple[Role, str]]:
    """Return the tokens of the file at ``path`` (if any) and of ``inline`` (``KURA_TOKENS``)."""
    tokens = parse_tokens(inline, "KURA_TOKENS") if inline.strip() else []
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenError(f"{path}: cannot read the tokens file: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise TokenError(f"{path}: the tokens file is not UTF-8 text") from None
        found = parse_tokens(text, str(path))
        if not found:
            raise TokenError(f"{path}: holds no tokens")
        tokens.extend(found)
    return tokens


def required_role(method: str) -> Role | None:
    """Return the role ``method`` (``/package.Service/Method``) needs; None when it is open to all."""
    if method.startswith(OPEN_SERVICES):
        return None
    if method.startswith(_CACHE_SERVICE):
        # A path the table does not name (a new RPC, a made-up one) needs the highest role.
        return METHOD_ROLES.get(method[len(_CACHE_SERVICE) :], Role.ADMIN)
    return Role.ADMIN


def denial(role: Role, what: str, needed: Role) -> str:
    """Return the PERMISSION_DENIED message of ``role`` calling ``what``, which needs ``needed``."""
    return f"{role.article} token may not call {what}: it needs {needed.article} token"


def _digest(token: str | bytes) -> bytes:
    return hashlib.sha256(token.encode() if isinstance(token, str) else token).digest()


class TokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuse calls without a valid token (UNAUTHENTICATED) or with too low a role (PERMISSION_DENIED)."""

    def __init__(self, tokens: collections.abc.Iterable[tuple[Role, str]], *, on_refused: RefusalCallback) -> None:
        # Digests, so every comparison takes the same time whatever the lengths.
        self._tokens = [(role, _digest(token)) for role, token in tokens]
        if not self._tokens:
            raise ValueError("a token interceptor needs at least one token")
        self._on_refused = on_refused
        self._log = logs.SampledLog(_LOGGER)

    def role_of(self, metadata: collections.abc.Iterable[tuple[str, str | bytes]] | None) -> Role | None:
        """Return the role of the bearer token in ``metadata``; None when it has no valid one."""
        presented: str | bytes | None = None
        for key, value in metadata or ():
            if key == "authorization":
                presented = value
                break
        if presented is None:
            return None
        text = presented.decode("latin-1") if isinstance(presented, bytes) else presented
        if text[: len(_SCHEME)].lower() != _SCHEME:
            return None
        digest = _digest(text[len(_SCHEME) :].strip())
        found: Role | None = None
        for role, known in self._tokens:  # no early exit: every token is compared
            if hmac.compare_digest(digest, known) and (found is None or role > found):
                found = role
        return found

    async def intercept_service(
        self,
        continuation: collections.abc.Callable[[grpc.HandlerCallDetails], collections.abc.Awaitable[typing.Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> typing.Any:
        """Pass the call on when its token allows the method; otherwise answer it with a refusal."""
        method: str = handler_call_details.method
        needed = required_role(method)
        if needed is None:
            return await continuation(handler_call_details)
        role = self.role_of(handler_call_details.invocation_metadata)
        if role is not None and role >= needed:
            return await continuation(handler_call_details)
        if role is None:
            code = grpc.StatusCode.UNAUTHENTICATED
            message = "a valid token is required: send metadata 'authorization: Bearer <token>'"
        else:
            code = grpc.StatusCode.PERMISSION_DENIED
            message = denial(role, method.rsplit("/", 1)[-1], needed)
        self._on_refused(method, code)
        return _refusal(await continuation(handler_call_details), self._log, method, code, message)


def _refusal(
    handler: typing.Any, log: logs.SampledLog, method: str, code: grpc.StatusCode, message: str
) -> grpc.RpcMethodHandler:
    """Return a handler of the refused method's kind that only aborts with ``code``.

    The kind must match: a client that opens a stream and waits for the server's
    first message would otherwise wait for ever.
    """

    async def refuse(_: object, context: grpc.aio.ServicerContext) -> None:
        log.log(
            code.name,
            logging.INFO,
            "call refused method=%s peer=%s code=%s",
            logs.quoted(method),
            logs.quoted(context.peer()),
            code.name,
        )
        await context.abort(code, message)

    if handler is None or not (handler.request_streaming or handler.response_streaming):
        return grpc.unary_unary_rpc_method_handler(refuse)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(refuse)
    return grpc.unary_stream_rpc_method_handler(refuse)
