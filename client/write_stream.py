"""The client half of a write session: send writes in issue order, match outcomes to futures.

Every write gets the next sequence number and a future the moment it is issued,
then waits in a queue that one sender task drains into ``Write`` messages
(as many writes per message as are ready). One receiver task reads the
server's commit and failure reports and completes the futures; failures of
writes nobody awaits are logged, counted and passed to the error callback.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import typing

import grpc

from hikari_kura.client import errors
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

_LOGGER = logging.getLogger(__name__)

MAX_OPS_PER_MESSAGE: typing.Final = 512
MAX_BYTES_PER_MESSAGE: typing.Final = 2 * 1024 * 1024
"""Most bytes of writes packed into one message, when the server allows that much."""
DEFAULT_SERVER_LIMIT: typing.Final = 4 * 1024 * 1024
"""gRPC's default message limit, assumed for a server that does not announce its own."""
_FRAMING: typing.Final = 1024
"""Room left in each message for the fields around the writes."""


@dataclasses.dataclass(frozen=True, slots=True)
class WriteError:
    """A write that failed after its call returned: what it was and why it failed."""

    operation: str
    """The Backend method that issued it, e.g. ``member_update``."""
    detail: str
    """The ids it concerned, e.g. ``guild_id=1 user_id=2``."""
    error: errors.KuraError


ErrorCallback: typing.TypeAlias = typing.Callable[[WriteError], None]


@dataclasses.dataclass(slots=True)
class _Pending:
    future: asyncio.Future[None]
    operation: str
    detail: str
    confirmed: bool


class WriteStream:
    """One open ``Write`` stream and the writes in flight on it."""

    def __init__(self, stub: cache_service_pb2_grpc.CacheServiceStub, *, on_error: ErrorCallback | None) -> None:
        self._stub = stub
        self._on_error = on_error
        self._call: typing.Any = None
        # Writes to send, with their encoded sizes; None ends the stream. A deque rather than a
        # queue because the sender looks at the next write before taking it.
        self._outgoing: collections.deque[tuple[pb.WriteOp, int] | None] = collections.deque()
        self._ready = asyncio.Event()
        self._pending: collections.OrderedDict[int, _Pending] = collections.OrderedDict()
        self._seq = 0
        self._broken: errors.KuraError | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.session_id: int | None = None
        self.failed_writes = 0
        self.max_request_bytes = DEFAULT_SERVER_LIMIT - _FRAMING
        """The most bytes of writes one message may carry, from the limit the server announced."""

    async def open(self) -> None:
        """Open the stream and wait for the server to name the session."""
        self._call = self._stub.Write()
        try:
            first = await self._call.read()
        except grpc.aio.AioRpcError as exc:
            raise errors.from_rpc_error(exc) from None
        if first is grpc.aio.EOF or first.WhichOneof("event") != "session_opened":
            raise errors.UnavailableError("the server did not open a write session")
        self.session_id = first.session_opened.session_id
        if first.session_opened.max_message_bytes:
            self.max_request_bytes = max(first.session_opened.max_message_bytes - _FRAMING, _FRAMING)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._send(), name=f"kura-write-sender-{self.session_id}"),
            loop.create_task(self._receive(), name=f"kura-write-receiver-{self.session_id}"),
        ]
        _LOGGER.info("write session opened session_id=%d", self.session_id)

    def issue(self, ops: list[pb.WriteOp], operation: str, detail: str, *, confirm: bool) -> asyncio.Future[None]:
        """Queue the ops of one write (several only for a chunked bulk) and return its future."""
        if self._broken is not None:
            raise self._broken
        if self._call is None:
            raise errors.UnavailableError("not connected: call connect() first")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sizes = [op.ByteSize() + 16 for op in ops]  # + the seq and partial fields set below
        if max(sizes) > self.max_request_bytes:
            # Refused here: sent, it would end the whole stream with RESOURCE_EXHAUSTED.
            error = errors.ResourceExhaustedError(
                f"{operation}: a write of {max(sizes)} bytes is over the server's message limit "
                f"of {self.max_request_bytes} bytes"
            )
            self._report_failure(_Pending(future, operation, detail, confirm), error)
            return future
        self._seq += 1
        seq = self._seq
        for op in ops:
            op.seq = seq
        for op in ops[:-1]:
            op.partial = True
        self._pending[seq] = _Pending(future, operation, detail, confirm)
        self._outgoing.extend(zip(ops, sizes, strict=True))
        self._ready.set()
        return future

    async def flush(self) -> None:
        """Wait until every write issued so far is committed or has failed."""
        if self._pending:
            await asyncio.wait([pending.future for pending in self._pending.values()])

    async def close(self) -> None:
        """Wait for every issued write, then half-close and end the session."""
        if self._call is None:
            return
        await self.flush()
        self._outgoing.append(None)
        self._ready.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._call.cancel()
        self._call = None
        _LOGGER.info("write session closed session_id=%s failed_writes=%d", self.session_id, self.failed_writes)

    async def abort(self) -> None:
        """Stop at once, failing whatever is still in flight."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._call is not None:
            self._call.cancel()
            self._call = None
        self._break(errors.UnavailableError("the client closed the write session"))

    async def _send(self) -> None:
        try:
            while True:
                while not self._outgoing:
                    self._ready.clear()
                    await self._ready.wait()
                first = self._outgoing.popleft()
                if first is None:
                    await self._call.done_writing()
                    return
                budget = min(MAX_BYTES_PER_MESSAGE, self.max_request_bytes)
                batch, size, ending = [first[0]], first[1], False
                while self._outgoing and len(batch) < MAX_OPS_PER_MESSAGE:
                    following = self._outgoing[0]
                    if following is None:
                        self._outgoing.popleft()
                        ending = True
                        break
                    if size + following[1] > budget:
                        break  # it waits for the next message
                    self._outgoing.popleft()
                    batch.append(following[0])
                    size += following[1]
                await self._call.write(pb.WriteRequest(ops=batch))
                if ending:
                    await self._call.done_writing()
                    return
        except grpc.aio.AioRpcError as exc:
            self._break(errors.from_rpc_error(exc))
        except asyncio.InvalidStateError:
            self._break(errors.UnavailableError("the write stream closed"))

    async def _receive(self) -> None:
        try:
            while True:
                response = await self._call.read()
                if response is grpc.aio.EOF:
                    break
                event = response.WhichOneof("event")
                if event == "committed_through":
                    self._commit_through(response.committed_through)
                elif event == "failure":
                    failure = response.failure
                    self._fail(failure.seq, errors.from_status(failure.code, failure.message))
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                self._break(errors.from_rpc_error(exc))
                return
        if self._pending:
            self._break(errors.UnavailableError("the write stream ended with writes in flight"))

    def _commit_through(self, seq: int) -> None:
        pending = self._pending
        while pending:
            first = next(iter(pending))
            if first > seq:
                return
            entry = pending.pop(first)
            if not entry.future.done():
                entry.future.set_result(None)

    def _fail(self, seq: int, error: errors.KuraError) -> None:
        entry = self._pending.pop(seq, None)
        if entry is not None:
            self._report_failure(entry, error)

    def _report_failure(self, entry: _Pending, error: errors.KuraError) -> None:
        """Fail a confirmed write's future; log, count and pass on an unconfirmed one's failure."""
        if entry.confirmed:
            if not entry.future.done():
                entry.future.set_exception(error)
            return
        # Nobody awaits this future; completing it with a result keeps asyncio from
        # warning about a never-retrieved exception, and the failure is reported here.
        self.failed_writes += 1
        _LOGGER.error("write failed op=%s %s error=%s", entry.operation, entry.detail, error)
        if not entry.future.done():
            entry.future.set_result(None)
        if self._on_error is not None:
            try:
                self._on_error(WriteError(entry.operation, entry.detail, error))
            except Exception:
                _LOGGER.exception("error callback raised op=%s %s", entry.operation, entry.detail)

    def _break(self, error: errors.KuraError) -> None:
        """Fail every write in flight and refuse new ones: the stream is gone."""
        if self._broken is None:
            _LOGGER.error("write session broken session_id=%s error=%s", self.session_id, error)
            self._broken = error
        for seq in list(self._pending):
            self._fail(seq, error)
