"""``GrpcBackend``: the cache ``Backend`` of a bot, forwarded to a Kura server over gRPC.

Writes travel on one ordered write stream per backend (a session), so they apply
in the order the bot issued them whatever their ``confirm``. Reads stream from
the server in batches and are turned back into hikari objects lazily.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import contextvars
import dataclasses
import logging
import os
import pathlib
import types
import typing

import grpc
import hikari
import typing_extensions

from hikari_kura.client import backend, errors, queries, write_stream
from hikari_kura.client import channel as channel_
from hikari_kura.client import reconnect as reconnect_
from hikari_kura.client.convert import channels as channels_
from hikari_kura.client.convert import guilds as guilds_
from hikari_kura.client.convert import members as members_
from hikari_kura.client.convert import roles as roles_
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

_LOGGER = logging.getLogger(__name__)

DEFAULT_BULK_CHUNK: typing.Final = 1000
"""Objects per chunk of a bulk write: well inside gRPC's message limits, large enough to amortise framing."""
SNAPSHOT_CHUNK: typing.Final = 1 << 20
DEFAULT_CONNECT_TIMEOUT: typing.Final = 5.0
"""Seconds ``connect()`` waits for a server that cannot be reached yet (one that is starting) before it fails."""

_M = typing.TypeVar("_M")
_T = typing.TypeVar("_T")
_MEMBER_DETAIL: typing.Final = "guild_id=%s user_id=%s"


CONVERT_BETWEEN_YIELDS: typing.Final = 200
"""Objects a bulk converts between two turns of the event loop: about a millisecond, not a whole chunk's worth."""

_Build: typing.TypeAlias = collections.abc.Callable[[list[_M], "_Refusals"], collections.abc.Awaitable[pb.WriteOp]]
_Ids: typing.TypeAlias = collections.abc.Callable[[_M], tuple[str, tuple[object, ...]]]
"""The detail (a %-format and its values) that names one object of a bulk in a failure's report."""

_SKIPPING: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "kura_skipping_unstorable", default=frozenset()
)
"""The ids of the backends whose bulk writes leave out what cannot be stored, in this context."""


class _Refusals:
    """The objects of one bulk that cannot be stored: each refuses the bulk, or is left out when skipping."""

    def __init__(self, *, skip: bool) -> None:
        self.skip = skip
        self.found: dict[int, tuple[typing.Any, errors.InvalidArgumentError]] = {}
        """By the object's identity: a chunk split to fit is converted again, and its refusals found again."""

    def add(self, item: object, error: errors.InvalidArgumentError) -> None:
        """Note an object that cannot be stored; unless skipping, refuse the whole bulk (raise ``error``)."""
        self.found[id(item)] = (item, error)
        if not self.skip:
            raise error


async def _fit(chunk: list[_M], build: _Build[_M], refusals: _Refusals, budget: int) -> list[bytes]:
    """Build ``chunk`` into one serialised write, or halve it until each part fits the server's message limit."""
    op = (await build(chunk, refusals)).SerializeToString()  # sized by its bytes: no separate ByteSize walk
    if len(chunk) == 1 or len(op) + 32 <= budget:
        return [op]
    half = len(chunk) // 2
    return [*await _fit(chunk[:half], build, refusals, budget), *await _fit(chunk[half:], build, refusals, budget)]


async def _slices(items: list[_M]) -> collections.abc.AsyncIterator[list[_M]]:
    """Yield ``items`` in slices of ``CONVERT_BETWEEN_YIELDS``, letting the event loop run after each.

    A bot's loop is then never held for a whole chunk's conversion: its reads and timers go on.
    """
    for start in range(0, len(items), CONVERT_BETWEEN_YIELDS):
        yield items[start : start + CONVERT_BETWEEN_YIELDS]
        await asyncio.sleep(0)  # after the last slice too: the chunk is serialised next


async def _members_op(members: list[hikari.Member], refusals: _Refusals) -> pb.WriteOp:
    """Build an upsert of ``members`` with each converted where it lies in the request (no copy)."""
    op = pb.WriteOp()
    request = op.upsert_members
    request.SetInParent()  # an upsert of no members is still an upsert
    written = request.members
    add = written.add
    member_into = members_.member_into
    async for part in _slices(members):
        for member in part:
            try:
                member_into(add(), member)
            except errors.InvalidArgumentError as exc:
                del written[-1]  # the member written in part
                refusals.add(member, exc)
    return op


async def _copied_op(
    items: list[_M], refusals: _Refusals, field: str, convert: collections.abc.Callable[[_M], typing.Any]
) -> pb.WriteOp:
    """Build the ``upsert_<field>`` of ``items``, each converted message copied in once (channels, roles)."""
    op = pb.WriteOp()
    request = getattr(op, f"upsert_{field}")
    request.SetInParent()  # an upsert of nothing is still an upsert
    append = getattr(request, field).append
    async for part in _slices(items):
        for item in part:
            try:
                append(convert(item))
            except errors.InvalidArgumentError as exc:
                refusals.add(item, exc)
    return op


def _channel_ids(channel: hikari.GuildChannel) -> tuple[str, tuple[object, ...]]:
    return "channel_id=%s", (channel.id,)


def _member_ids(member: hikari.Member) -> tuple[str, tuple[object, ...]]:
    return _MEMBER_DETAIL, (member.guild_id, member.user.id)


def _role_ids(role: hikari.Role) -> tuple[str, tuple[object, ...]]:
    return "role_id=%s", (role.id,)


class GrpcBackend(backend.Backend):
    """A ``Backend`` that keeps the cache in a Kura server, shared by every bot process that connects.

    Parameters
    ----------
    target
        The server's address, e.g. ``"127.0.0.1:50051"`` or ``"kura:50051"``.
    app
        The hikari app that returned entities are built with, as hikari's own cache
        would (a ``hikari.GatewayBot`` in a bot).
    on_error
        Called with a ``WriteError`` for every ``confirm=False`` write that fails.
    bulk_chunk_size
        Objects per message of a bulk write; the server still stores the whole bulk
        in one transaction.
    channel_options
        Extra gRPC channel options; they override the defaults (connections of its own, not
        shared with other channels of the process; 64 MiB messages; a keepalive ping every
        30 s unanswered for at most 10 s).
    reconnect
        How the write session reconnects when the server goes away (a restart):
        writes issued meanwhile wait, within a bound, and are sent in order once it
        is back. None turns reconnecting off: a lost server then fails every write
        in flight with ``UnavailableError`` and the backend must be connected anew.
    token
        Bearer token sent as ``authorization: Bearer <token>`` on every call, for a server
        started with tokens.
    tls
        Connect over TLS: ``TLSConfig(ca=...)`` verifies the server with that CA,
        ``TLSConfig(ca=..., cert=..., key=...)`` also presents a client certificate (mTLS).
        None (the default) connects in plaintext.
    connect_timeout
        Seconds ``connect()`` waits for a server it cannot reach yet (one that is starting or
        restarting), retrying with the reconnect policy's backoff, before it raises
        ``UnavailableError`` naming the target, how long it waited and the last error. A
        refusal by the server itself (credentials, a read-only database) is raised at once.
    """

    def __init__(
        self,
        target: str,
        *,
        app: hikari.traits.RESTAware,
        on_error: write_stream.ErrorCallback | None = None,
        bulk_chunk_size: int = DEFAULT_BULK_CHUNK,
        channel_options: collections.abc.Sequence[tuple[str, typing.Any]] = (),
        reconnect: reconnect_.ReconnectPolicy | None = reconnect_.ReconnectPolicy(),  # noqa: B008 - frozen, shared safely
        token: str | None = None,
        tls: channel_.TLSConfig | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        if bulk_chunk_size <= 0:
            raise ValueError("bulk_chunk_size must be positive")
        if not connect_timeout > 0:
            raise ValueError("connect_timeout must be positive")
        self._target = target
        self._app = app
        self._on_error = on_error
        self._bulk_chunk_size = bulk_chunk_size
        self._reconnect = reconnect
        # gRPC's own reconnect backoff (up to 120 s by default) would leave the channel down long
        # after the server is back; it follows the write session's policy instead.
        backoff_options = (
            []
            if reconnect is None
            else [
                ("grpc.initial_reconnect_backoff_ms", int(reconnect.initial_delay * 1000)),
                ("grpc.max_reconnect_backoff_ms", int(reconnect.max_delay * 1000)),
            ]
        )
        self._channel_options = [*backoff_options, *channel_options]
        self._token = token
        self._tls = tls
        self._connect_timeout = connect_timeout
        self._channel: grpc.aio.Channel | None = None
        self._stub: cache_service_pb2_grpc.CacheServiceStub | None = None
        self._stream: write_stream.WriteStream | None = None
        self._read_only: str | None = None
        """Why the server refused this backend a write session (it serves its database read-only), if it did."""
        # Held by a bulk while it converts (it lets the loop run between chunks) and by whatever waits
        # behind it: later writes wait their turn, so writes are issued in the order they were called.
        self._issuing = asyncio.Lock()
        self._turns = 0
        """Coroutines holding or waiting for ``_issuing``: while none do, a write is issued at once."""

    @property
    def session_id(self) -> int | None:
        """Return the server's id of this backend's write session, while connected."""
        return None if self._stream is None else self._stream.session_id

    @property
    def read_only(self) -> bool:
        """Return True when connected to a server that serves its database read-only: reads work, writes raise."""
        return self._read_only is not None

    @property
    def failed_writes(self) -> int:
        """Return how many ``confirm=False`` writes failed, and bulk objects were left out, since ``connect``."""
        return 0 if self._stream is None else self._stream.failed_writes

    @property
    def is_reconnecting(self) -> bool:
        """Return True while the server is away and writes wait, queued, for the session to reconnect."""
        return self._stream is not None and self._stream.reconnecting

    @property
    def reconnects(self) -> int:
        """Return how many times the write session reconnected since ``connect``."""
        return 0 if self._stream is None else self._stream.reconnects

    # -- lifecycle -----------------------------------------------------------------------------

    @typing_extensions.override
    async def connect(self) -> None:
        """Open the channel and this backend's write session, waiting up to ``connect_timeout`` for the server.

        A server that cannot be reached yet is waited for; after ``connect_timeout`` seconds
        ``UnavailableError`` says which target, how long and why. A server serving its database
        read-only refuses the session ``FAILED_PRECONDITION``: the backend then connects read-only
        (``read_only``), reads work and every write raises that error.
        """
        if self._channel is not None:
            raise RuntimeError("already connected")
        self._channel = channel_.open_channel(
            self._target, token=self._token, tls=self._tls, options=self._channel_options
        )
        self._stub = cache_service_pb2_grpc.CacheServiceStub(self._channel)  # type: ignore[no-untyped-call]
        stream = write_stream.WriteStream(self._channel, on_error=self._on_error, policy=self._reconnect)
        try:
            await self._open_session(stream)
        except errors.FailedPreconditionError as exc:
            self._read_only = exc.message
            _LOGGER.warning("connected read-only target=%s reason=%s", self._target, exc.message)
            return
        except BaseException:
            await self._channel.close()
            self._channel = self._stub = None
            raise
        self._stream = stream
        _LOGGER.info("connected target=%s session_id=%s", self._target, stream.session_id)

    async def _open_session(self, stream: write_stream.WriteStream) -> None:
        """Open the write session, trying again while the server cannot be reached, for up to ``connect_timeout``.

        The first attempt fails fast, so its error says why the server cannot be reached (nothing
        listens, a TLS handshake failed...). The next ones wait for the channel to connect, which
        gRPC retries with the reconnect policy's backoff; a server that answers UNAVAILABLE itself
        (it is shutting down) is asked again after a pause.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self._connect_timeout
        try:
            async with asyncio.timeout_at(deadline):
                await stream.open()
            return
        except TimeoutError:
            reason = write_stream.no_session_within(self._connect_timeout)
        except errors.UnavailableError as exc:
            reason = exc
            _LOGGER.info(
                "server unreachable, waiting for it target=%s connect_timeout=%s error=%s",
                self._target,
                self._connect_timeout,
                exc,
            )
        policy = dataclasses.replace(
            self._reconnect or reconnect_.ReconnectPolicy(), give_up_after=None, max_attempts=None
        )
        pauses = reconnect_.Backoff(policy, started=started)
        while loop.time() < deadline:
            try:
                async with asyncio.timeout_at(deadline):
                    await stream.open(wait_for_ready=True)
                return
            except TimeoutError:
                break  # it waited until the deadline: the error before says more than that
            except errors.UnavailableError as exc:
                reason = exc
            pause = pauses.next_delay(loop.time())
            assert pause is not None  # a policy that never gives up
            await asyncio.sleep(min(pause, max(deadline - loop.time(), 0.0)))
        raise errors.UnavailableError(
            f"could not connect to the Kura server at {self._target}: waited {loop.time() - started:.1f} s"
            f" (connect_timeout={self._connect_timeout:g}); last error: {reason.message}"
        )

    @typing_extensions.override
    async def disconnect(self) -> None:
        """Wait until every issued write is committed, then close the session and the channel."""
        if self._stream is not None:
            async with self._turn():  # a bulk still converting is issued first
                try:
                    await self._stream.close()
                finally:
                    self._stream = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None
        self._read_only = None
        _LOGGER.info("disconnected target=%s", self._target)

    async def __aenter__(self) -> typing_extensions.Self:
        """Connect, so ``async with GrpcBackend(...) as backend:`` holds a connected backend."""
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        """Disconnect, even when the block raised: every write issued in it is committed first."""
        await self.disconnect()

    async def flush(self) -> None:
        """Wait until every write issued so far is committed or has failed (read-only: none ever is)."""
        if self._read_only is not None:
            return
        async with self._turn():  # a bulk still converting counts as issued
            session = self._session()
        await session.flush()

    def _session(self) -> write_stream.WriteStream:
        if self._read_only is not None:
            raise errors.FailedPreconditionError(self._read_only)
        if self._stream is None:
            raise errors.UnavailableError("not connected: call connect() first")
        return self._stream

    def _calls(self) -> cache_service_pb2_grpc.CacheServiceStub:
        if self._stub is None:
            raise errors.UnavailableError("not connected: call connect() first")
        return self._stub

    @contextlib.asynccontextmanager
    async def _turn(self) -> collections.abc.AsyncIterator[None]:
        """Wait for the writes called before (a bulk converting, or queued behind one), in call order."""
        self._turns += 1
        try:
            async with self._issuing:
                yield
        finally:
            self._turns -= 1

    async def _write(
        self, op: pb.WriteOp, operation: str, detail: str, detail_args: tuple[object, ...], confirm: bool
    ) -> asyncio.Future[None] | None:
        """Issue a single write in call order; with ``confirm`` return its future, else let the sender keep up."""
        if self._turns:  # behind a bulk still converting, or writes waiting for it
            async with self._turn():
                session = self._session()
                future = session.issue([op.SerializeToString()], operation, detail, detail_args, confirm=confirm)
        else:  # nothing to wait for: no lock taken, nothing awaited
            session = self._session()
            future = session.issue([op.SerializeToString()], operation, detail, detail_args, confirm=confirm)
        if future is None and session.backlogged:
            # A caller issuing writes without ever yielding would keep the sender (and so the
            # server) idle until its loop ends; one turn of the loop ships a full message.
            await asyncio.sleep(0)
        return future

    async def _write_built(
        self,
        build: collections.abc.Callable[[pb.WriteOp], object],
        operation: str,
        detail: str,
        detail_args: tuple[object, ...],
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Issue the single write ``build`` makes; one that cannot be sent fails, unsent, as the server would fail it.

        The conversions raise ``InvalidArgumentError`` naming the object and field; protobuf's own errors
        (an id out of range in a delete) become one naming the operation.
        """
        op = pb.WriteOp()
        try:
            build(op)
        except (ValueError, TypeError) as exc:
            error = (
                exc
                if isinstance(exc, errors.InvalidArgumentError)
                else errors.InvalidArgumentError(f"{operation} {detail % detail_args}: {exc}")
            )
            return self._session().refuse(error, operation, detail, detail_args, confirm=confirm)
        return await self._write(op, operation, detail, detail_args, confirm)

    async def _write_and_wait(self, op: pb.WriteOp, operation: str) -> None:
        future = await self._write(op, operation, "", (), True)
        assert future is not None
        await future

    # -- writes --------------------------------------------------------------------------------

    @typing.overload
    async def channel_create(self, channel: hikari.GuildChannel, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def channel_create(
        self, channel: hikari.GuildChannel, confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def channel_create(self, channel: hikari.GuildChannel, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def channel_create(self, channel: hikari.GuildChannel, confirm: bool) -> asyncio.Future[None] | None:
        """Store a created channel."""
        return await self._write_built(
            lambda op: op.upsert_channels.channels.append(channels_.channel_to_proto(channel)),
            "channel_create",
            "channel_id=%s",
            (channel.id,),
            confirm,
        )

    @typing.overload
    async def channel_update(self, channel: hikari.GuildChannel, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def channel_update(
        self, channel: hikari.GuildChannel, confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def channel_update(self, channel: hikari.GuildChannel, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def channel_update(self, channel: hikari.GuildChannel, confirm: bool) -> asyncio.Future[None] | None:
        """Update an updated channel."""
        return await self._write_built(
            lambda op: op.upsert_channels.channels.append(channels_.channel_to_proto(channel)),
            "channel_update",
            "channel_id=%s",
            (channel.id,),
            confirm,
        )

    @typing.overload
    async def guild_join(self, guild: hikari.GatewayGuild, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def guild_join(self, guild: hikari.GatewayGuild, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def guild_join(self, guild: hikari.GatewayGuild, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def guild_join(self, guild: hikari.GatewayGuild, confirm: bool) -> asyncio.Future[None] | None:
        """Store a joined guild."""
        return await self._write_built(
            lambda op: op.upsert_guilds.guilds.append(guilds_.guild_to_proto(guild)),
            "guild_join",
            "guild_id=%s",
            (guild.id,),
            confirm,
        )

    @typing.overload
    async def guild_update(self, guild: hikari.GatewayGuild, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def guild_update(self, guild: hikari.GatewayGuild, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def guild_update(self, guild: hikari.GatewayGuild, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def guild_update(self, guild: hikari.GatewayGuild, confirm: bool) -> asyncio.Future[None] | None:
        """Update an updated guild."""
        return await self._write_built(
            lambda op: op.upsert_guilds.guilds.append(guilds_.guild_to_proto(guild)),
            "guild_update",
            "guild_id=%s",
            (guild.id,),
            confirm,
        )

    @typing.overload
    async def member_create(self, member: hikari.Member, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def member_create(self, member: hikari.Member, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def member_create(self, member: hikari.Member, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def member_create(self, member: hikari.Member, confirm: bool) -> asyncio.Future[None] | None:
        """Store a created member."""
        return await self._write_built(
            lambda op: members_.member_into(op.upsert_members.members.add(), member),  # in place: no copy
            "member_create",
            _MEMBER_DETAIL,
            (member.guild_id, member.id),
            confirm,
        )

    @typing.overload
    async def member_update(self, member: hikari.Member, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def member_update(self, member: hikari.Member, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def member_update(self, member: hikari.Member, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def member_update(self, member: hikari.Member, confirm: bool) -> asyncio.Future[None] | None:
        """Update an updated member."""
        return await self._write_built(
            lambda op: members_.member_into(op.upsert_members.members.add(), member),  # in place: no copy
            "member_update",
            _MEMBER_DETAIL,
            (member.guild_id, member.id),
            confirm,
        )

    @typing.overload
    async def role_create(self, role: hikari.Role, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def role_create(self, role: hikari.Role, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def role_create(self, role: hikari.Role, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def role_create(self, role: hikari.Role, confirm: bool) -> asyncio.Future[None] | None:
        """Store a created role."""
        return await self._write_built(
            lambda op: op.upsert_roles.roles.append(roles_.role_to_proto(role)),
            "role_create",
            "role_id=%s",
            (role.id,),
            confirm,
        )

    @typing.overload
    async def role_update(self, role: hikari.Role, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def role_update(self, role: hikari.Role, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def role_update(self, role: hikari.Role, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def role_update(self, role: hikari.Role, confirm: bool) -> asyncio.Future[None] | None:
        """Update an updated role."""
        return await self._write_built(
            lambda op: op.upsert_roles.roles.append(roles_.role_to_proto(role)),
            "role_update",
            "role_id=%s",
            (role.id,),
            confirm,
        )

    @typing.overload
    async def channel_delete(self, channel_id: hikari.Snowflake, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def channel_delete(
        self, channel_id: hikari.Snowflake, confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def channel_delete(self, channel_id: hikari.Snowflake, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def channel_delete(self, channel_id: hikari.Snowflake, confirm: bool) -> asyncio.Future[None] | None:
        """Remove a deleted channel and its threads."""
        return await self._write_built(
            lambda op: setattr(op.delete_channel, "channel_id", channel_id),
            "channel_delete",
            "channel_id=%s",
            (channel_id,),
            confirm,
        )

    @typing.overload
    async def guild_leave(self, guild_id: hikari.Snowflake, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def guild_leave(self, guild_id: hikari.Snowflake, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def guild_leave(self, guild_id: hikari.Snowflake, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def guild_leave(self, guild_id: hikari.Snowflake, confirm: bool) -> asyncio.Future[None] | None:
        """Remove a left guild and everything in it."""
        return await self._write_built(
            lambda op: setattr(op.delete_guild, "guild_id", guild_id),
            "guild_leave",
            "guild_id=%s",
            (guild_id,),
            confirm,
        )

    @typing.overload
    async def role_delete(self, role_id: hikari.Snowflake, confirm: typing.Literal[False]) -> None: ...
    @typing.overload
    async def role_delete(self, role_id: hikari.Snowflake, confirm: typing.Literal[True]) -> asyncio.Future[None]: ...
    @typing.overload
    async def role_delete(self, role_id: hikari.Snowflake, confirm: bool) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def role_delete(self, role_id: hikari.Snowflake, confirm: bool) -> asyncio.Future[None] | None:
        """Remove a deleted role and take it from its members."""
        return await self._write_built(
            lambda op: setattr(op.delete_role, "role_id", role_id), "role_delete", "role_id=%s", (role_id,), confirm
        )

    @typing.overload
    async def member_delete(
        self, user_id: hikari.Snowflake, guild_id: hikari.Snowflake, confirm: typing.Literal[False]
    ) -> None: ...
    @typing.overload
    async def member_delete(
        self, user_id: hikari.Snowflake, guild_id: hikari.Snowflake, confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def member_delete(
        self, user_id: hikari.Snowflake, guild_id: hikari.Snowflake, confirm: bool
    ) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def member_delete(
        self, user_id: hikari.Snowflake, guild_id: hikari.Snowflake, confirm: bool
    ) -> asyncio.Future[None] | None:
        """Remove a deleted member."""
        return await self._write_built(
            lambda op: op.delete_member.MergeFrom(pb.DeleteMemberRequest(guild_id=guild_id, user_id=user_id)),
            "member_delete",
            _MEMBER_DETAIL,
            (guild_id, user_id),
            confirm,
        )

    @typing.overload
    async def bulk_channels(
        self, channels: collections.abc.Iterable[hikari.GuildChannel], confirm: typing.Literal[False]
    ) -> None: ...
    @typing.overload
    async def bulk_channels(
        self, channels: collections.abc.Iterable[hikari.GuildChannel], confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def bulk_channels(
        self, channels: collections.abc.Iterable[hikari.GuildChannel], confirm: bool
    ) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def bulk_channels(
        self, channels: collections.abc.Iterable[hikari.GuildChannel], confirm: bool
    ) -> asyncio.Future[None] | None:
        """Insert or update channels in bulk, in one transaction."""
        return await self._write_bulk(
            list(channels),
            lambda part, refusals: _copied_op(part, refusals, "channels", channels_.channel_to_proto),
            "bulk_channels",
            _channel_ids,
            confirm,
        )

    @typing.overload
    async def bulk_members(
        self, members: collections.abc.Iterable[hikari.Member], confirm: typing.Literal[False]
    ) -> None: ...
    @typing.overload
    async def bulk_members(
        self, members: collections.abc.Iterable[hikari.Member], confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def bulk_members(
        self, members: collections.abc.Iterable[hikari.Member], confirm: bool
    ) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def bulk_members(
        self, members: collections.abc.Iterable[hikari.Member], confirm: bool
    ) -> asyncio.Future[None] | None:
        """Insert or update members in bulk, in one transaction."""
        return await self._write_bulk(list(members), _members_op, "bulk_members", _member_ids, confirm)

    @typing.overload
    async def bulk_roles(
        self, roles: collections.abc.Iterable[hikari.Role], confirm: typing.Literal[False]
    ) -> None: ...
    @typing.overload
    async def bulk_roles(
        self, roles: collections.abc.Iterable[hikari.Role], confirm: typing.Literal[True]
    ) -> asyncio.Future[None]: ...
    @typing.overload
    async def bulk_roles(
        self, roles: collections.abc.Iterable[hikari.Role], confirm: bool
    ) -> asyncio.Future[None] | None: ...
    @typing_extensions.override
    async def bulk_roles(
        self, roles: collections.abc.Iterable[hikari.Role], confirm: bool
    ) -> asyncio.Future[None] | None:
        """Insert or update roles in bulk, in one transaction."""
        return await self._write_bulk(
            list(roles),
            lambda part, refusals: _copied_op(part, refusals, "roles", roles_.role_to_proto),
            "bulk_roles",
            _role_ids,
            confirm,
        )

    async def _write_bulk(
        self,
        items: list[_M],
        build: _Build[_M],
        operation: str,
        ids: _Ids[_M],
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Send a bulk as chunks of one seq: stored together in one transaction, each chunk within limits.

        Chunks are converted a slice at a time, letting the event loop run between slices (a large bulk
        would hold it for seconds, a chunk for milliseconds); writes called meanwhile wait their turn
        (``_turn``) and are issued after this one. An object that cannot be stored fails the whole bulk,
        before anything is sent, or within ``skipping_unstorable`` is left out and reported alone.
        """
        refusals = _Refusals(skip=id(self) in _SKIPPING.get())
        async with self._turn():
            session = self._session()
            ops: list[bytes] = []
            try:
                for start in range(0, len(items), self._bulk_chunk_size):
                    if start:
                        await asyncio.sleep(0)
                    chunk = items[start : start + self._bulk_chunk_size]
                    ops.extend(await _fit(chunk, build, refusals, session.max_request_bytes))
            except errors.InvalidArgumentError as exc:
                ((refused, _),) = refusals.found.values()
                index = next(index for index, item in enumerate(items) if item is refused)
                error = errors.InvalidArgumentError(f"{operation}[{index}]: {exc.message}")
                chunks = -(-len(items) // self._bulk_chunk_size)
                return session.refuse(error, operation, "objects=%d chunks=%d", (len(items), chunks), confirm=confirm)
            for refused, error in refusals.found.values():
                session.refuse(error, operation, *ids(refused), confirm=False)
            # A bulk of nothing is still sent, so its future completes in order with the rest.
            return session.issue(
                ops or [(await build([], refusals)).SerializeToString()],
                operation,
                "objects=%d chunks=%d",
                (len(items) - len(refusals.found), len(ops)),
                confirm=confirm,
            )

    @contextlib.contextmanager
    def skipping_unstorable(self) -> collections.abc.Iterator[None]:
        """Within this block, a bulk write leaves out each object the server cannot store and stores the others.

        Each object left out is reported as a failed write: logged (``hikari_kura.client.write_stream``) with
        its ids and the field to blame, counted in ``failed_writes`` and passed to ``on_error``. Outside the
        block such an object fails the whole bulk, before anything is sent. The bridge of ``Cache`` writes
        every event within it, so that one unusual object does not lose the rest of a GUILD_CREATE.
        """
        token = _SKIPPING.set(_SKIPPING.get() | {id(self)})
        try:
            yield
        finally:
            _SKIPPING.reset(token)

    @typing_extensions.override
    async def clear(self, channels: bool, guilds: bool, members: bool, roles: bool) -> None:
        """Remove every object of the kinds set to True, after every write issued before."""
        await self._write_and_wait(
            pb.WriteOp(clear=pb.ClearRequest(channels=channels, guilds=guilds, members=members, roles=roles)), "clear"
        )

    @typing_extensions.override
    async def prune(self) -> None:
        """Remove every object that no connected session has written since it connected."""
        await self._write_and_wait(pb.WriteOp(prune=pb.PruneRequest()), "prune")

    async def prune_shard(self, shard_id: int, shard_count: int) -> None:
        """Prune only the guilds of one shard (``(guild_id >> 22) % shard_count == shard_id``)."""
        await self._write_and_wait(
            pb.WriteOp(prune=pb.PruneRequest(shard_id=shard_id, shard_count=shard_count)), "prune"
        )

    # -- reads ---------------------------------------------------------------------------------

    async def _batches(
        self, method: typing.Any, request: typing.Any
    ) -> collections.abc.AsyncGenerator[typing.Any, None]:
        """Yield the batches of a server stream; closing early cancels the call on the server."""
        call = method(request)
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as exc:
            raise errors.from_rpc_error(exc) from None
        finally:
            call.cancel()

    async def _read(
        self,
        rpc: str,
        request: collections.abc.Callable[[], typing.Any],
        field: str,
        convert: collections.abc.Callable[..., _T],
    ) -> collections.abc.AsyncGenerator[_T, None]:
        """Yield the objects of one read, converted; closing early cancels the call on the server.

        One generator between the caller and the call, reading it with ``read()``: a point get
        is a round trip plus these few steps, so every layer here counts.
        """
        call = getattr(self._calls(), rpc)(request())
        app = self._app
        eof = grpc.aio.EOF
        try:
            while (response := await call.read()) is not eof:
                for message in getattr(response, field):
                    yield convert(message, app=app)
        except grpc.aio.AioRpcError as exc:
            raise errors.from_rpc_error(exc) from None
        finally:
            call.cancel()

    @typing_extensions.override
    def iter_channels(
        self, query: queries.ChannelQuery | None = None
    ) -> collections.abc.AsyncIterator[hikari.GuildChannel]:
        """Iterate through the channels and threads that match the query."""
        return self._read(
            "IterChannels",
            lambda: pb.IterChannelsRequest(query=None if query is None else channels_.channel_query_to_proto(query)),
            "channels",
            channels_.channel_from_proto,
        )

    @typing_extensions.override
    def iter_guilds(self, query: queries.GuildQuery | None = None) -> collections.abc.AsyncIterator[hikari.Guild]:
        """Iterate through the guilds that match the query."""
        return self._read(
            "IterGuilds",
            lambda: pb.IterGuildsRequest(query=None if query is None else guilds_.guild_query_to_proto(query)),
            "guilds",
            guilds_.guild_from_proto,
        )

    @typing_extensions.override
    def iter_members(self, query: queries.MemberQuery | None = None) -> collections.abc.AsyncIterator[hikari.Member]:
        """Iterate through the members that match the query."""
        return self._read(
            "IterMembers",
            lambda: pb.IterMembersRequest(query=None if query is None else members_.member_query_to_proto(query)),
            "members",
            members_.member_from_proto,
        )

    @typing_extensions.override
    def iter_roles(self, query: queries.RoleQuery | None = None) -> collections.abc.AsyncIterator[hikari.Role]:
        """Iterate through the roles that match the query."""
        return self._read(
            "IterRoles",
            lambda: pb.IterRolesRequest(query=None if query is None else roles_.role_query_to_proto(query)),
            "roles",
            roles_.role_from_proto,
        )

    # -- snapshot and restore ------------------------------------------------------------------

    async def snapshot(self, path: pathlib.Path) -> None:
        """Write a point-in-time copy of the whole cache to ``path``, holding every write issued before.

        The file appears complete or not at all: it is written beside ``path`` and renamed.
        """
        await self.flush()
        partial = path.with_name(f".{path.name}.partial")
        try:
            file = await asyncio.to_thread(partial.open, "wb")
            with file:
                async for response in self._batches(self._calls().Snapshot, pb.SnapshotRequest()):
                    await asyncio.to_thread(file.write, response.chunk)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        _LOGGER.info("snapshot written path=%s", path)

    @typing_extensions.override
    async def restore(self, path: pathlib.Path) -> None:
        """Replace the whole cache with a snapshot file's content, atomically, after every write issued before.

        A file that is not a valid snapshot raises ``InvalidArgumentError`` (or
        ``FailedPreconditionError`` for a newer schema) and the cache is unchanged.
        """
        await self.flush()
        data = pathlib.Path(path)

        # Opened before the call, so a missing file raises here instead of cancelling the call.
        file = await asyncio.to_thread(data.open, "rb")

        async def chunks() -> collections.abc.AsyncIterator[pb.RestoreRequest]:
            while chunk := await asyncio.to_thread(file.read, SNAPSHOT_CHUNK):
                yield pb.RestoreRequest(chunk=chunk)

        try:
            with file:
                response = await self._calls().Restore(chunks())
        except grpc.aio.AioRpcError as exc:
            raise errors.from_rpc_error(exc) from None
        _LOGGER.info(
            "restored path=%s guilds=%d channels=%d members=%d roles=%d",
            path,
            response.guilds,
            response.channels,
            response.members,
            response.roles,
        )
