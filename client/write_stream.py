"""The client half of a write session: send writes in issue order, match outcomes to futures, reconnect.

Every write gets the next sequence number the moment it is issued (and a future
when its caller waits for it), is encoded once, then waits in a queue that one
sender task drains into ``Write`` messages (as many writes per message as are
ready). One receiver task reads the server's commit and failure reports and
completes the futures; failures of writes nobody awaits are logged, counted and
passed to the error callback.

A write is held until the server reports its outcome. When the stream breaks
because the server went away, the stream reconnects with backoff, resumes its
session and sends every write whose outcome it has not seen again, in order
(writes are upserts and deletes: applying one twice leaves what applying it once does).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import typing

import grpc

from hikari_kura.client import errors, reconnect
from hikari_kura.v1 import cache_service_pb2 as pb

_LOGGER = logging.getLogger(__name__)

MAX_OPS_PER_MESSAGE: typing.Final = 512
MAX_BYTES_PER_MESSAGE: typing.Final = 2 * 1024 * 1024
"""Most bytes of writes packed into one message, when the server allows that much."""
DEFAULT_SERVER_LIMIT: typing.Final = 4 * 1024 * 1024
"""gRPC's default message limit, assumed for a server that does not announce its own."""
_FRAMING: typing.Final = 1024
"""Room left in each message for the fields around the writes."""
_REQUEST_FAULTS: typing.Final = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.OUT_OF_RANGE,
    }
)
"""Statuses that end a stream for what the client sent: sending it again would end the next one too.

Any other status means the server or the connection went away; a killed server's
stream ends UNAVAILABLE, but also INTERNAL ("Internal error from Core") or UNKNOWN."""
RESUME_METADATA_KEY: typing.Final = "kura-resume-session"
"""Metadata of a reconnecting ``Write`` call: the session id to resume, so prune still counts its rows as fresh."""


@dataclasses.dataclass(frozen=True, slots=True)
class WriteError:
    """A write that failed after its call returned: what it was and why it failed."""

    operation: str
    """The Backend method that issued it, e.g. ``member_update``."""
    detail: str
    """The ids it concerned, e.g. ``guild_id=1 user_id=2``."""
    error: errors.KuraError


ErrorCallback: typing.TypeAlias = typing.Callable[[WriteError], None]


def no_session_within(seconds: float) -> errors.UnavailableError:
    """Return the error of an attempt to open a write session that ``seconds`` did not see through."""
    return errors.UnavailableError(f"the server did not open a write session within {seconds:g} s")


_WRITE_METHOD: typing.Final = "/{}/Write".format(pb.DESCRIPTOR.services_by_name["CacheService"].full_name)


def _framed(op: bytes, seq: int, partial: bool) -> bytes:
    """Encode a serialised ``WriteOp`` as one element of ``WriteRequest.ops``, its seq (and partial flag) put ahead.

    A message is the concatenation of its fields, in any order: the op is serialised once by
    whoever built it (a bulk sizes its chunks by those bytes), and its seq is written here.
    """
    inner = (_SEQ_PARTIAL_TAGS if partial else _SEQ_TAG) + _varint(seq) + op
    size = len(inner)
    head = _HEADS.get(size)
    if head is None:
        head = _OPS_TAG + _varint(size)
        if size < _CACHED_HEADS_BELOW:
            _HEADS[size] = head
    return head + inner


_OPS_TAG: typing.Final = bytes([1 << 3 | 2])
"""``WriteRequest.ops`` is field 1, length-delimited."""
_SEQ_TAG: typing.Final = bytes([1 << 3 | 0])
"""``WriteOp.seq`` is field 1, a varint."""
_SEQ_PARTIAL_TAGS: typing.Final = bytes([2 << 3 | 0, 1]) + _SEQ_TAG
"""``WriteOp.partial`` (field 2, a varint) set to true, then the seq's tag."""
_HEADS: dict[int, bytes] = {}
"""The tag and length that start an encoded op, by length: single writes come in a few hundred sizes."""
_CACHED_HEADS_BELOW: typing.Final = 1 << 14


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@dataclasses.dataclass(slots=True)
class _Pending:
    seq: int
    future: asyncio.Future[None] | None
    """Completed with the write's outcome; None for a ``confirm=False`` write, which nobody awaits."""
    operation: str
    detail: str
    """A %-format of the ids the write concerns, filled in from ``detail_args`` only when it fails."""
    detail_args: tuple[object, ...]
    ops: list[bytes]
    """The write's ops, each encoded as an element of ``WriteRequest.ops``: sent, and sent again after a reconnect.

    Encoding each op once when it is issued spares copying it into a ``WriteRequest`` message
    (and encoding it again) every time it is sent.
    """

    def describe(self) -> str:
        """Return the ids the write concerns, e.g. ``guild_id=1 user_id=2``."""
        return self.detail % self.detail_args


class WriteStream:
    """One write session: the ``Write`` stream it is open on, and the writes in flight on it."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        on_error: ErrorCallback | None,
        policy: reconnect.ReconnectPolicy | None = None,
    ) -> None:
        # Requests go out as the bytes the ops were encoded to when issued (no serializer).
        self._open_write = channel.stream_stream(
            _WRITE_METHOD, request_serializer=None, response_deserializer=pb.WriteResponse.FromString
        )
        self._on_error = on_error
        self._policy = policy
        self._call: typing.Any = None
        # Encoded writes to send; None ends the stream. A deque rather than a queue because the
        # sender looks at the next write before taking it.
        self._outgoing: collections.deque[bytes | None] = collections.deque()
        self._ready = asyncio.Event()
        # Writes in flight, in seq order: outcomes arrive in that order (failures may come first).
        self._pending: collections.deque[_Pending] = collections.deque()
        # flush() calls waiting: each for every write up to the seq it noted (in increasing order).
        self._flushes: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seq = 0
        self._broken: errors.KuraError | None = None
        self._connected = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.session_id: int | None = None
        self.failed_writes = 0
        self.reconnects = 0
        """Times the stream reconnected after its server went away."""
        self.max_request_bytes = DEFAULT_SERVER_LIMIT - _FRAMING
        """The most bytes of writes one message may carry, from the limit the server announced."""

    @property
    def backlogged(self) -> bool:
        """Return True when a full message of writes waits to be sent: a caller should let the sender run."""
        return len(self._outgoing) >= MAX_OPS_PER_MESSAGE

    @property
    def reconnecting(self) -> bool:
        """Return True while the server is away and writes wait for the stream to reconnect."""
        return self._task is not None and not self._connected and self._broken is None

    async def open(self, *, wait_for_ready: bool = False) -> None:
        """Open the stream and wait for the server to name the session (the caller bounds the wait).

        With ``wait_for_ready`` the call waits for a server that cannot be reached yet (gRPC keeps
        trying to connect, with its backoff) instead of failing at once with UNAVAILABLE.
        """
        self._call = await self._open_call(wait_for_ready=wait_for_ready)
        self._connected = True
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name=f"kura-write-{self.session_id}")
        _LOGGER.info("write session opened session_id=%d", self.session_id)

    def issue(
        self,
        ops: list[bytes],
        operation: str,
        detail: str = "",
        detail_args: tuple[object, ...] = (),
        *,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Queue the ops of one write (several only for a chunked bulk); return its future if ``confirm``.

        Each op is a ``WriteOp`` serialised without its seq and partial flag, which are added here.
        ``detail % detail_args`` names what the write concerns in a failure's report: it is
        formatted only if the write fails.
        """
        if self._broken is not None:
            raise self._broken
        if self._task is None or self._closing or self._loop is None:
            raise errors.UnavailableError("not connected: call connect() first")
        if not self._connected and self._policy is not None and len(self._pending) >= self._policy.max_queued_writes:
            unreachable = errors.UnavailableError(
                f"{operation}: the server is unreachable and {len(self._pending)} writes already wait for it"
                " (ReconnectPolicy.max_queued_writes)"
            )
            return self.refuse(unreachable, operation, detail, detail_args, confirm=confirm)
        future = self._loop.create_future() if confirm else None
        seq = self._seq + 1
        if len(ops) == 1:  # a single write: most of them
            encoded = [_framed(ops[0], seq, False)]
            largest = len(encoded[0])
        else:
            last = len(ops) - 1
            encoded = [_framed(op, seq, index < last) for index, op in enumerate(ops)]
            largest = max(map(len, encoded))
        entry = _Pending(seq, future, operation, detail, detail_args, encoded)
        if largest > self.max_request_bytes:
            # Refused here: sent, it would end the whole stream with RESOURCE_EXHAUSTED.
            error = errors.ResourceExhaustedError(
                f"{operation}: a write of {largest} bytes is over the server's message limit "
                f"of {self.max_request_bytes} bytes"
            )
            self._report_failure(entry, error)
            return future
        self._seq = seq
        self._pending.append(entry)
        if self._connected:
            self._outgoing.extend(encoded)
            self._ready.set()
        return future

    def refuse(
        self,
        error: errors.KuraError,
        operation: str,
        detail: str = "",
        detail_args: tuple[object, ...] = (),
        *,
        confirm: bool,
    ) -> asyncio.Future[None] | None:
        """Fail a write the client refused, never sent, as the server fails one; return its future if ``confirm``.

        With ``confirm`` the future fails with ``error``; without, the failure is logged, counted and
        passed to the error callback, as every failure of a write nobody awaits.
        """
        if self._broken is not None:
            raise self._broken
        if self._task is None or self._closing or self._loop is None:
            raise errors.UnavailableError("not connected: call connect() first")
        future = self._loop.create_future() if confirm else None
        self._report_failure(_Pending(0, future, operation, detail, detail_args, []), error)
        return future

    async def flush(self) -> None:
        """Wait until every write issued so far is committed or has failed."""
        if self._pending and self._loop is not None:
            waiter = self._loop.create_future()
            self._flushes.append((self._seq, waiter))
            await waiter

    async def close(self) -> None:
        """Wait for every issued write, then half-close and end the session."""
        if self._task is None:
            return
        while self._pending:  # writes issued while waiting are waited for too
            await self.flush()
        self._closing = True
        if self._connected:
            self._outgoing.append(None)
            self._ready.set()
        else:
            self._task.cancel()  # reconnecting with nothing left to send: stop trying
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        _LOGGER.info("write session closed session_id=%s failed_writes=%d", self.session_id, self.failed_writes)

    async def abort(self) -> None:
        """Stop at once, failing whatever is still in flight."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._call is not None:
            self._call.cancel()
            self._call = None
        self._break(errors.UnavailableError("the client closed the write session"))

    async def _open_call(self, *, wait_for_ready: bool = False) -> typing.Any:
        """Start a ``Write`` call (resuming this session, if it has one) and read the server's first report."""
        metadata = () if self.session_id is None else ((RESUME_METADATA_KEY, str(self.session_id)),)
        call = self._open_write(metadata=metadata, wait_for_ready=wait_for_ready)
        try:
            first = await call.read()
        except grpc.aio.AioRpcError as exc:
            raise errors.from_rpc_error(exc) from None
        except BaseException:  # cancelled (timed out, or close() while reconnecting): end the half-opened call too
            call.cancel()
            raise
        if first is grpc.aio.EOF or first.WhichOneof("event") != "session_opened":
            call.cancel()
            raise errors.UnavailableError("the server did not open a write session")
        opened = first.session_opened
        if self.session_id is not None and opened.session_id != self.session_id:
            _LOGGER.warning(
                "server could not resume the session: what it wrote before counts as stale for prune"
                " session_id=%d new_session_id=%d",
                self.session_id,
                opened.session_id,
            )
        self.session_id = opened.session_id
        if opened.max_message_bytes:
            self.max_request_bytes = max(opened.max_message_bytes - _FRAMING, _FRAMING)
        return call

    async def _run(self) -> None:
        """Serve the open call; when the server goes away, reconnect and carry on, or fail what is left."""
        while True:
            call = self._call
            error = await self._serve(call)
            if self._call is call:
                self._call = None
            if error is None or (self._closing and not self._pending):
                return
            if self._policy is None or error.code in _REQUEST_FAULTS:
                self._break(error)
                return
            if not await self._reconnect(error):
                return

    async def _serve(self, call: typing.Any) -> errors.KuraError | None:
        """Send and receive on one call until it ends; return the error that ended it (None: closed cleanly)."""
        sender = asyncio.get_running_loop().create_task(self._send(call), name=f"kura-write-sender-{self.session_id}")
        try:
            return await self._receive(call)
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            call.cancel()

    async def _reconnect(self, cause: errors.KuraError) -> bool:
        """Open a new call with backoff and send every unreported write again; False once the policy gives up."""
        assert self._policy is not None
        self._connected = False
        self._outgoing.clear()
        loop = asyncio.get_running_loop()
        backoff = reconnect.Backoff(self._policy, started=loop.time())
        _LOGGER.warning(
            "write stream lost, reconnecting session_id=%s pending=%d error=%s",
            self.session_id,
            len(self._pending),
            cause,
        )
        last = cause
        while (delay := backoff.next_delay(loop.time())) is not None:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(self._policy.attempt_timeout):
                    self._call = await self._open_call()
            except (errors.KuraError, TimeoutError) as exc:
                last = exc if isinstance(exc, errors.KuraError) else no_session_within(self._policy.attempt_timeout)
                _LOGGER.info(
                    "reconnect attempt failed session_id=%s attempt=%d error=%s",
                    self.session_id,
                    backoff.attempts,
                    last,
                )
                continue
            self.reconnects += 1
            self._outgoing.extend(op for entry in self._pending for op in entry.ops)
            self._connected = True
            self._ready.set()
            _LOGGER.warning(
                "write stream reconnected session_id=%s attempts=%d resent_writes=%d reconnects=%d",
                self.session_id,
                backoff.attempts,
                len(self._pending),
                self.reconnects,
            )
            return True
        self._break(
            errors.UnavailableError(
                f"gave up reconnecting to the server after {backoff.attempts} attempts"
                f" in {loop.time() - backoff.started:.1f} s: {last.message}"
            )
        )
        return False

    async def _send(self, call: typing.Any) -> None:
        """Drain the outgoing writes into messages on ``call``; a failed call's status reaches the receiver."""
        try:
            while True:
                while not self._outgoing:
                    self._ready.clear()
                    await self._ready.wait()
                first = self._outgoing.popleft()
                if first is None:
                    await call.done_writing()
                    return
                budget = min(MAX_BYTES_PER_MESSAGE, self.max_request_bytes)
                batch, size, ending = [first], len(first), False
                while self._outgoing and len(batch) < MAX_OPS_PER_MESSAGE:
                    following = self._outgoing[0]
                    if following is None:
                        self._outgoing.popleft()
                        ending = True
                        break
                    if size + len(following) > budget:
                        break  # it waits for the next message
                    self._outgoing.popleft()
                    batch.append(following)
                    size += len(following)
                await call.write(b"".join(batch))  # a WriteRequest: its ops, one after another
                if ending:
                    await call.done_writing()
                    return
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            return  # the call ended; the receiver reads why

    async def _receive(self, call: typing.Any) -> errors.KuraError | None:
        try:
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    break
                event = response.WhichOneof("event")
                if event == "committed_through":
                    self._commit_through(response.committed_through)
                elif event == "failure":
                    failure = response.failure
                    self._fail(failure.seq, errors.from_status(failure.code, failure.message))
        except grpc.aio.AioRpcError as exc:
            return errors.from_rpc_error(exc)
        if self._pending:
            return errors.UnavailableError("the write stream ended with writes in flight")
        return None

    def _commit_through(self, seq: int) -> None:
        pending = self._pending
        while pending and pending[0].seq <= seq:
            future = pending.popleft().future
            if future is not None and not future.done():
                future.set_result(None)
        self._settle_flushes()

    def _fail(self, seq: int, error: errors.KuraError) -> None:
        pending = self._pending
        for index, entry in enumerate(pending):
            if entry.seq >= seq:
                if entry.seq == seq:
                    del pending[index]
                    self._report_failure(entry, error)
                break
        self._settle_flushes()

    def _settle_flushes(self) -> None:
        """Complete the flush() calls whose writes all have their outcome."""
        flushes = self._flushes
        if not flushes:
            return
        lowest = self._pending[0].seq if self._pending else self._seq + 1
        while flushes and flushes[0][0] < lowest:
            waiter = flushes.popleft()[1]
            if not waiter.done():
                waiter.set_result(None)

    def _report_failure(self, entry: _Pending, error: errors.KuraError) -> None:
        """Fail a confirmed write's future; log, count and pass on an unconfirmed one's failure."""
        future = entry.future
        if future is not None:
            if not future.done():
                future.set_exception(error)
            return
        self.failed_writes += 1
        detail = entry.describe()
        _LOGGER.error("write failed op=%s %s error=%s", entry.operation, detail, error)
        if self._on_error is not None:
            try:
                self._on_error(WriteError(entry.operation, detail, error))
            except Exception:
                _LOGGER.exception("error callback raised op=%s %s", entry.operation, detail)

    def _break(self, error: errors.KuraError) -> None:
        """Fail every write in flight and refuse new ones: the stream is gone."""
        if self._broken is None:
            _LOGGER.error("write session broken session_id=%s error=%s", self.session_id, error)
            self._broken = error
        pending = self._pending
        while pending:
            self._report_failure(pending.popleft(), error)
        self._settle_flushes()
