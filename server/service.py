"""The CacheService RPC handlers: validate at the edge, queue writes, stream reads.

This is the one place that turns request errors into gRPC status codes. Writes
become operations for the single writer; reads page through the reader pool and
stream stored message bytes as they are.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import importlib.metadata
import logging
import time
import typing

import grpc

from hikari_kura.server import (
    auth,
    decoding,
    engine,
    errors,
    limits,
    logs,
    metrics,
    reads,
    rows,
    snapshots,
    validation,
    wire,
    write_session,
    writer,
    writes,
)
from hikari_kura.server import sessions as sessions_
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import members_pb2

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME: typing.Final = "hikari_kura.v1.CacheService"
SNAPSHOT_CHUNK: typing.Final = 1 << 20
_CLEAR_TABLES: typing.Final = ("channels", "guilds", "members", "roles")
_VERSION: typing.Final = importlib.metadata.version("hikari-kura")
RESUME_METADATA_KEY: typing.Final = "kura-resume-session"
"""Metadata a reconnecting client's ``Write`` call carries: the id of the session it resumes."""


UPSERT_SLICE: typing.Final = 128
"""Objects of an upsert validated and encoded between two turns of the event loop.

A 1,000-member chunk of a bulk takes several milliseconds to validate and encode; done in one
go it holds back every read waiting on the loop, at each of the loop turns a read needs.
"""
_UPSERT_TABLES: typing.Final = {
    "upsert_guilds": "guilds",
    "upsert_channels": "channels",
    "upsert_members": "members",
    "upsert_roles": "roles",
}
"""The table of each upsert request, which is also the name of the request's repeated field."""
_Check: typing.TypeAlias = collections.abc.Callable[[typing.Any, str], None]
_Encode: typing.TypeAlias = collections.abc.Callable[[typing.Any, int | None], rows.Row]
_CHECKS: typing.Final[dict[str, tuple[_Check, _Encode]]] = {
    "guilds": (validation.guild, rows.guild_row),
    "channels": (validation.channel, rows.channel_row),
    "members": (validation.member, rows.member_row),
    "roles": (validation.role, rows.role_row),
}
"""Each table's validation and row encoding."""


def _upsert(
    table: str, items: collections.abc.Sequence[typing.Any], session_id: int | None, first_index: int
) -> writes.Upsert:
    """Validate ``items`` (the bulk's objects from ``first_index`` on) and return their upsert.

    Fields the server does not know are dropped first: what is stored (and served to readers)
    is only what the contract describes, however much else a client sent along.
    """
    check, row = _CHECKS[table]
    for index, item in enumerate(items, first_index):
        item.DiscardUnknownFields()
        check(item, f"{table}[{index}]")
    encoded = [row(item, session_id) for item in items]
    upsert = writes.Upsert(table, encoded, encoded_bytes=sum(len(typing.cast(bytes, r[-1])) for r in encoded))
    if table == "members":
        upsert.role_ids = [list(item.role_ids) for item in items]
    return upsert


def strip_role(data: bytes, role_id: int) -> bytes:
    """Return a stored member's bytes without ``role_id`` in its ``role_ids``."""
    member = members_pb2.Member.FromString(data)
    kept = [held for held in member.role_ids if held != role_id]
    del member.role_ids[:]
    member.role_ids.extend(kept)
    return member.SerializeToString()


class CacheService:
    """Handlers of every CacheService RPC."""

    def __init__(
        self,
        db: engine.Engine,
        write_queue: writer.Writer,
        sessions: sessions_.Sessions,
        *,
        write_limits: limits.WriteLimits | None = None,
        max_message_bytes: int = 64 * 1024 * 1024,
        session_limit: limits.SessionLimit | None = None,
        on_refused: collections.abc.Callable[[str, grpc.StatusCode], None] | None = None,
        role_of: collections.abc.Callable[[typing.Any], auth.Role | None] | None = None,
    ) -> None:
        """``role_of`` returns the role of a call's metadata (tokens on); None leaves every operation open."""
        self._started = time.monotonic()
        self._session_limit = session_limit or limits.SessionLimit(limits.DEFAULT_SESSIONS_PER_PEER)
        self._on_refused = on_refused
        self._refusals = logs.SampledLog(_LOGGER)
        self._role_of = role_of
        self._open_streams: set[write_session.WriteSession] = set()
        self._closing = False
        self._engine = db
        self._writer = write_queue
        self._sessions = sessions
        self._write_limits = write_limits or limits.WriteLimits()
        self._max_message_bytes = max_message_bytes
        # What one response may carry: the limit less room for gRPC's own framing.
        self._response_budget = max(max_message_bytes - 1024, 1024)

    @property
    def write_limits(self) -> limits.WriteLimits:
        """The size limits of upserts and the backpressure window of write sessions."""
        return self._write_limits

    # -- building operations -------------------------------------------------------------------

    async def operation(
        self, name: str, request: typing.Any, session_id: int | None, *, first_index: int = 0
    ) -> writes.Operation:
        """Validate one write request and return the operation that carries it out.

        ``first_index`` is the position of this request's first object in its bulk,
        so an error in a later chunk names the object's index in the whole bulk, and
        the bulk's objects so far count towards ``--max-bulk-items``. A large upsert is
        validated and encoded a slice at a time, with a turn of the event loop between
        slices (see ``UPSERT_SLICE``); one refused part way is freed the same way.
        """
        table = _UPSERT_TABLES.get(name)
        if table is None:
            return self._other_operation(name, request)
        items = getattr(request, table)
        if first_index + len(items) > self._write_limits.max_bulk_items:
            raise self._write_limits.too_many_items()
        if len(items) <= UPSERT_SLICE:
            return _upsert(table, items, session_id, first_index)
        upsert = _upsert(table, items[:UPSERT_SLICE], session_id, first_index)
        try:
            for start in range(UPSERT_SLICE, len(items), UPSERT_SLICE):
                await asyncio.sleep(0)
                upsert.merge(_upsert(table, items[start : start + UPSERT_SLICE], session_id, first_index + start))
        except errors.RequestError:
            await writes.discard(upsert)
            raise
        return upsert

    def _other_operation(self, name: str, request: typing.Any) -> writes.Operation:
        """Validate a write request that is not an upsert and return its operation."""
        if name == "delete_guild":
            validation.snowflake(request.guild_id, "guild_id")
            return writes.DeleteGuild(request.guild_id)
        if name == "delete_channel":
            validation.snowflake(request.channel_id, "channel_id")
            return writes.DeleteChannel(request.channel_id)
        if name == "delete_member":
            validation.snowflake(request.guild_id, "guild_id")
            validation.snowflake(request.user_id, "user_id")
            return writes.DeleteMember(request.guild_id, request.user_id)
        if name == "delete_role":
            validation.snowflake(request.role_id, "role_id")
            return writes.DeleteRole(request.role_id, strip_role)
        if name == "clear":
            return writes.Clear(tuple(table for table in _CLEAR_TABLES if getattr(request, table)))
        if name == "prune":
            validation.prune(request)
            return writes.Prune(
                self._sessions.open_ids,
                request.shard_id if request.HasField("shard_id") else None,
                request.shard_count if request.HasField("shard_count") else None,
            )
        raise errors.InvalidArgument("op", f"unknown write {name!r}")

    def role(self, context: grpc.aio.ServicerContext) -> auth.Role:
        """Return the role of the call's token; every call may do everything when tokens are off."""
        if self._role_of is None:
            return auth.Role.ADMIN
        # The token interceptor let the call in, so it has a token of some role.
        return self._role_of(context.invocation_metadata()) or auth.Role.READ

    def _authorized(self, role: auth.Role) -> write_session.OperationFactory:
        """Return ``operation`` refusing, with PERMISSION_DENIED, what ``role`` may not do."""

        async def make(
            name: str, request: typing.Any, session_id: int | None, *, first_index: int = 0
        ) -> writes.Operation:
            needed = auth.operation_role(name, request)
            if role < needed:
                what = "prune of every shard" if name == "prune" else name
                raise errors.RequestError(grpc.StatusCode.PERMISSION_DENIED, auth.denial(role, what, needed))
            return await self.operation(name, request, session_id, first_index=first_index)

        return make

    async def _unary(self, name: str, request: typing.Any, context: grpc.aio.ServicerContext) -> object:
        try:
            operation = await self._authorized(self.role(context))(name, request, None)
            return await (await self._writer.submit(operation))
        except errors.RequestError as exc:
            await context.abort(exc.code, exc.message)
            raise  # abort raises; this line only tells the type checker so

    # -- unary writes --------------------------------------------------------------------------

    async def UpsertGuilds(
        self, request: pb.UpsertGuildsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertGuildsResponse:
        """Store guilds."""
        await self._unary("upsert_guilds", request, context)
        return pb.UpsertGuildsResponse()

    async def DeleteGuild(
        self, request: pb.DeleteGuildRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteGuildResponse:
        """Remove a guild and all it holds."""
        await self._unary("delete_guild", request, context)
        return pb.DeleteGuildResponse()

    async def UpsertChannels(
        self, request: pb.UpsertChannelsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertChannelsResponse:
        """Store channels and threads."""
        await self._unary("upsert_channels", request, context)
        return pb.UpsertChannelsResponse()

    async def DeleteChannel(
        self, request: pb.DeleteChannelRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteChannelResponse:
        """Remove a channel and its threads."""
        await self._unary("delete_channel", request, context)
        return pb.DeleteChannelResponse()

    async def UpsertMembers(
        self, request: pb.UpsertMembersRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertMembersResponse:
        """Store members."""
        await self._unary("upsert_members", request, context)
        return pb.UpsertMembersResponse()

    async def DeleteMember(
        self, request: pb.DeleteMemberRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteMemberResponse:
        """Remove one membership."""
        await self._unary("delete_member", request, context)
        return pb.DeleteMemberResponse()

    async def UpsertRoles(
        self, request: pb.UpsertRolesRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertRolesResponse:
        """Store roles."""
        await self._unary("upsert_roles", request, context)
        return pb.UpsertRolesResponse()

    async def DeleteRole(
        self, request: pb.DeleteRoleRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteRoleResponse:
        """Remove a role and take it from its members."""
        await self._unary("delete_role", request, context)
        return pb.DeleteRoleResponse()

    async def Clear(self, request: pb.ClearRequest, context: grpc.aio.ServicerContext) -> pb.ClearResponse:
        """Remove every object of the chosen kinds."""
        await self._unary("clear", request, context)
        return pb.ClearResponse()

    async def Prune(self, request: pb.PruneRequest, context: grpc.aio.ServicerContext) -> pb.PruneResponse:
        """Remove what no open session wrote."""
        counts = await self._unary("prune", request, context)
        assert isinstance(counts, engine.PruneCounts)
        return pb.PruneResponse(
            guilds=counts.guilds, channels=counts.channels, members=counts.members, roles=counts.roles
        )

    # -- the write stream ----------------------------------------------------------------------

    async def Write(
        self, request_iterator: collections.abc.AsyncIterator[pb.WriteRequest], context: grpc.aio.ServicerContext
    ) -> None:
        """Run one write session: apply its writes in order and report commits and failures."""
        peer = context.peer()
        try:
            self._session_limit.acquire(peer)
        except errors.RequestError as exc:
            self._refusals.log(
                "sessions", logging.WARNING, "write session refused peer=%s reason=%s", logs.quoted(peer), exc.message
            )
            if self._on_refused is not None:
                self._on_refused(f"/{SERVICE_NAME}/Write", exc.code)
            await context.abort(exc.code, exc.message)
        try:
            await self._run_session(peer, request_iterator, context)
        finally:
            self._session_limit.release(peer)

    async def _run_session(
        self,
        peer: str,
        request_iterator: collections.abc.AsyncIterator[pb.WriteRequest],
        context: grpc.aio.ServicerContext,
    ) -> None:
        try:
            session_id = await self._sessions.open(peer, resume=_resumed_session(context))
        except errors.RequestError as exc:
            await context.abort(exc.code, exc.message)
        session = write_session.WriteSession(
            session_id, self._authorized(self.role(context)), self._writer, write_limits=self._write_limits
        )
        receiver = asyncio.get_running_loop().create_task(
            session.run(request_iterator), name=f"kura-session-{session_id}"
        )
        self._open_streams.add(session)
        try:
            await context.write(
                pb.WriteResponse(
                    session_opened=pb.SessionOpened(session_id=session_id, max_message_bytes=self._max_message_bytes)
                )
            )
            await session.send(context.write)
            await receiver
            if self._closing:
                raise errors.Unavailable()
        except errors.RequestError as exc:
            await context.abort(exc.code, exc.message)
        finally:
            self._open_streams.discard(session)
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver
            await self._sessions.close(session_id)

    def drain(self) -> None:
        """Begin shutdown: every write stream stops reading, reports what it queued, then ends UNAVAILABLE."""
        self._closing = True
        for session in list(self._open_streams):
            session.drain()

    # -- reads ---------------------------------------------------------------------------------

    async def _stream(
        self,
        table: reads.Table,
        request: typing.Any,
        context: grpc.aio.ServicerContext,
    ) -> collections.abc.AsyncIterator[bytes]:
        """Stream the wire bytes of a query's batches (the ``Iter*`` handlers return this generator itself)."""
        try:
            plan = reads.plan(table, request.query if request.HasField("query") else None)
            async for batch in reads.pages(self._engine, plan, batch_size=request.batch_size, limit=request.limit):
                for part in wire.within(batch, self._response_budget):
                    yield wire.repeated_messages(1, part)
        except errors.RequestError as exc:
            await context.abort(exc.code, exc.message)

    def IterGuilds(
        self, request: pb.IterGuildsRequest, context: grpc.aio.ServicerContext
    ) -> collections.abc.AsyncIterator[bytes]:
        """Stream matching guilds."""
        return self._stream(reads.GUILDS, request, context)

    def IterChannels(
        self, request: pb.IterChannelsRequest, context: grpc.aio.ServicerContext
    ) -> collections.abc.AsyncIterator[bytes]:
        """Stream matching channels."""
        return self._stream(reads.CHANNELS, request, context)

    def IterMembers(
        self, request: pb.IterMembersRequest, context: grpc.aio.ServicerContext
    ) -> collections.abc.AsyncIterator[bytes]:
        """Stream matching members."""
        return self._stream(reads.MEMBERS, request, context)

    def IterRoles(
        self, request: pb.IterRolesRequest, context: grpc.aio.ServicerContext
    ) -> collections.abc.AsyncIterator[bytes]:
        """Stream matching roles."""
        return self._stream(reads.ROLES, request, context)

    # -- snapshot and restore ------------------------------------------------------------------

    async def Snapshot(
        self, request: pb.SnapshotRequest, context: grpc.aio.ServicerContext
    ) -> collections.abc.AsyncIterator[pb.SnapshotResponse]:
        """Stream a consistent snapshot file of the whole cache."""
        try:
            path = await self._engine.snapshot()
        except Exception as exc:  # the engine's own error (disk full, database away): reported with a status
            error = errors.from_storage_error(exc)
            _LOGGER.error("snapshot failed peer=%s error=%s", context.peer(), error.message)
            await context.abort(error.code, error.message)
        try:
            total = path.stat().st_size
            _LOGGER.info("snapshot started bytes=%d peer=%s", total, context.peer())
            with path.open("rb") as file:
                first = True
                while chunk := file.read(min(SNAPSHOT_CHUNK, self._response_budget)):
                    yield pb.SnapshotResponse(chunk=chunk, total_bytes=total if first else 0)
                    first = False
                if first:
                    yield pb.SnapshotResponse(total_bytes=total)
        finally:
            snapshots.remove_files(path)

    async def Restore(
        self, request_iterator: collections.abc.AsyncIterator[pb.RestoreRequest], context: grpc.aio.ServicerContext
    ) -> pb.RestoreResponse:
        """Receive a snapshot, validate it whole, then swap it in atomically."""
        if (reason := self._engine.read_only_reason) is not None:  # refused before the upload, not after
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, errors.ReadOnly(reason).message)
        path = self._engine.temporary_path("restore")
        try:
            with path.open("wb") as file:
                async for request in request_iterator:
                    file.write(request.chunk)
            counts = await snapshots.validate(path)
            await (await self._writer.submit(writes.Restore(path, None)))
            _LOGGER.info("restored snapshot peer=%s counts=%s", context.peer(), counts)
            return pb.RestoreResponse(**counts)
        except errors.RequestError as exc:
            _LOGGER.warning("restore refused peer=%s reason=%s", context.peer(), exc.message)
            await context.abort(exc.code, exc.message)
        finally:
            snapshots.remove_files(path)
        raise AssertionError("unreachable: abort raises")

    # -- stats ---------------------------------------------------------------------------------

    async def GetStats(self, request: pb.GetStatsRequest, context: grpc.aio.ServicerContext) -> pb.GetStatsResponse:
        """Report what the cache holds and how the server is doing."""
        counts = await self._engine.counts()
        response = pb.GetStatsResponse(
            guilds=counts["guilds"],
            channels=counts["channels"],
            members=counts["members"],
            roles=counts["roles"],
            database_bytes=await self._engine.database_bytes(),
            open_sessions=len(self._sessions),
            write_queue_depth=self._writer.queue_depth,
            transactions=self._writer.transactions,
            schema_version=self._engine.schema_version,
            server_version=_VERSION,
        )
        response.uptime.FromNanoseconds(int((time.monotonic() - self._started) * 1e9))
        return response


def _resumed_session(context: grpc.aio.ServicerContext) -> int | None:
    """Return the session id a reconnecting client asks to resume, if it asks."""
    for key, value in context.invocation_metadata() or ():
        if key == RESUME_METADATA_KEY:
            if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 1 << 63:
                raise errors.InvalidArgument(RESUME_METADATA_KEY, "must be a positive session id")
            return int(value)
    return None


def _identity(data: bytes) -> bytes:
    return data


def handler(service: CacheService, meter: metrics.Metrics) -> grpc.GenericRpcHandler:
    """Return the generic handler of the service, every method counted and timed.

    Streams of stored bytes skip re-serialisation: their handlers yield wire bytes.
    A request that is not a message of its type is refused with INVALID_ARGUMENT, and an upsert
    over the size limits with RESOURCE_EXHAUSTED before its objects are decoded.
    """

    write_limits = service.write_limits

    def method(
        name: str, behavior: typing.Any, request: typing.Any, response: typing.Any, *, streams: str = ""
    ) -> grpc.RpcMethodHandler:
        """Build one method's handler; ``streams`` is "", "requests", "responses" or "both"."""
        streams_requests, streams_responses = streams in ("requests", "both"), streams in ("responses", "both")
        checked = decoding.refusing_undecodable(
            behavior, streams_requests=streams_requests, streams_responses=streams_responses
        )
        make = {
            "": grpc.unary_unary_rpc_method_handler,
            "requests": grpc.stream_unary_rpc_method_handler,
            "responses": grpc.unary_stream_rpc_method_handler,
            "both": grpc.stream_stream_rpc_method_handler,
        }[streams]
        return make(
            # A bidirectional stream's handler writes through its context and returns once.
            meter.instrument(name, checked, streams_responses=streams_responses and not streams_requests),
            request_deserializer=decoding.decoder(request, write_limits),
            response_serializer=_identity if response is None else response.SerializeToString,
        )

    def unary(behavior: typing.Any, request: typing.Any, response: typing.Any) -> grpc.RpcMethodHandler:
        return method(behavior.__name__, behavior, request, response)

    def raw_stream(behavior: typing.Any, request: typing.Any) -> grpc.RpcMethodHandler:
        return method(behavior.__name__, behavior, request, None, streams="responses")

    handlers = {
        "Write": method("Write", service.Write, pb.WriteRequest, pb.WriteResponse, streams="both"),
        "UpsertGuilds": unary(service.UpsertGuilds, pb.UpsertGuildsRequest, pb.UpsertGuildsResponse),
        "DeleteGuild": unary(service.DeleteGuild, pb.DeleteGuildRequest, pb.DeleteGuildResponse),
        "UpsertChannels": unary(service.UpsertChannels, pb.UpsertChannelsRequest, pb.UpsertChannelsResponse),
        "DeleteChannel": unary(service.DeleteChannel, pb.DeleteChannelRequest, pb.DeleteChannelResponse),
        "UpsertMembers": unary(service.UpsertMembers, pb.UpsertMembersRequest, pb.UpsertMembersResponse),
        "DeleteMember": unary(service.DeleteMember, pb.DeleteMemberRequest, pb.DeleteMemberResponse),
        "UpsertRoles": unary(service.UpsertRoles, pb.UpsertRolesRequest, pb.UpsertRolesResponse),
        "DeleteRole": unary(service.DeleteRole, pb.DeleteRoleRequest, pb.DeleteRoleResponse),
        "Clear": unary(service.Clear, pb.ClearRequest, pb.ClearResponse),
        "Prune": unary(service.Prune, pb.PruneRequest, pb.PruneResponse),
        "IterGuilds": raw_stream(service.IterGuilds, pb.IterGuildsRequest),
        "IterChannels": raw_stream(service.IterChannels, pb.IterChannelsRequest),
        "IterMembers": raw_stream(service.IterMembers, pb.IterMembersRequest),
        "IterRoles": raw_stream(service.IterRoles, pb.IterRolesRequest),
        "Snapshot": method("Snapshot", service.Snapshot, pb.SnapshotRequest, pb.SnapshotResponse, streams="responses"),
        "Restore": method("Restore", service.Restore, pb.RestoreRequest, pb.RestoreResponse, streams="requests"),
        "GetStats": unary(service.GetStats, pb.GetStatsRequest, pb.GetStatsResponse),
    }
    return grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)
