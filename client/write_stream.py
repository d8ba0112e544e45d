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
        self._outgoing: asyncio.Queue[pb.WriteOp | None] = asyncio.Queue()
        self._pending: collections.OrderedDict[int, _Pending] = collections.OrderedDict()
        self._seq = 0
        self._broken: errors.KuraError | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.session_id: int | None = None
        self.failed_writes = 0

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
        self._seq += 1
        seq = self._seq
        for op in ops:
            op.seq = seq
        for op in ops[:-1]:
            op.partial = True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[seq] = _Pending(future, operation, detail, confirm)
        for op in ops:
            self._outgoing.put_nowait(op)
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
        self._outgoing.put_nowait(None)
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
                first = await self._outgoing.get()
                if first is None:
                    await self._call.done_writing()
                    return
                batch, size, ending = [first], first.ByteSize(), False
                while not self._outgoing.empty() and len(batch) < MAX_OPS_PER_MESSAGE and size < MAX_BYTES_PER_MESSAGE:
                    op = self._outgoing.get_nowait()
                    if op is None:
                        ending = True
                        break
                    batch.append(op)
                    size += op.ByteSize()
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
        if entry is None:
            return
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
