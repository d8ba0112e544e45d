"""One client's write stream: order its writes, assemble chunked bulks, report each outcome, hold back a flood.

Writes are queued to the writer in the order they arrive, so they apply in the
order the client issued them. Each outcome goes to the outbox by sequence
number: a refused write at once, a queued one when the writer has committed it;
``send`` writes the outbox to the stream.

Backpressure: every write taken from the stream weighs what it holds in memory
(``limits.OBJECT_OVERHEAD`` per object plus its encoded bytes) until its outcome
has been written to the stream. While the session's unanswered writes weigh
``limits.WriteLimits.session_window_bytes`` or more, it reads no further: HTTP/2
flow control then holds the client back. A chunked bulk still arriving is not
counted (its later chunks must be read for it to complete); it is bounded by the
bulk limits instead.
"""

from __future__ import annotations

import asyncio
import collections.abc
import typing

import grpc

from hikari_kura.server import decoding, errors, limits, writer, writes
from hikari_kura.v1 import cache_service_pb2 as pb

_Outcome: typing.TypeAlias = tuple[int, int, "pb.WriteFailure | None"]
"""A write's seq, its weight, and its failure (None: committed)."""
Outbox: typing.TypeAlias = "asyncio.Queue[_Outcome | None]"
"""Outcomes for the client, or None when the session's work is done."""
OPS_BETWEEN_TURNS: typing.Final = 64
"""Ops of one message taken between two turns of the event loop.

Nothing else in taking an op need wait (queueing it does not while the writer has room), and
a message carries thousands of ops: taken in one go they would hold back every read for as long.
"""
Write: typing.TypeAlias = collections.abc.Callable[[pb.WriteResponse], collections.abc.Awaitable[None]]
"""Write one response to the stream (the servicer context's ``write``)."""


class OperationFactory(typing.Protocol):
    """Validates one write request and returns the operation that carries it out."""

    async def __call__(
        self, name: str, request: typing.Any, session_id: int | None, *, first_index: int = 0
    ) -> writes.Operation: ...


def _failure(seq: int, error: errors.RequestError) -> pb.WriteFailure:
    return pb.WriteFailure(seq=seq, code=error.code.value[0], message=error.message)


class WriteSession:
    """The receiving half of one session's ``Write`` stream, and the sender of its outcomes."""

    def __init__(
        self,
        session_id: int,
        make_operation: OperationFactory,
        write_queue: writer.Writer,
        *,
        write_limits: limits.WriteLimits,
    ) -> None:
        self._session_id = session_id
        self._make_operation = make_operation
        self._writer = write_queue
        self._outbox: Outbox = asyncio.Queue()
        self._limits = write_limits
        self._last_seq = 0
        self._refused_bulk_seq: int | None = None
        self._bulk: tuple[int, writes.Upsert] | None = None
        self._bulk_items = 0
        self._bulk_bytes = 0
        self._in_flight: set[asyncio.Future[object]] = set()
        self._unanswered = 0
        """Weight of the writes taken from the stream whose outcome is not yet written to it."""
        self._room = asyncio.Event()
        self._room.set()
        self._task: asyncio.Task[None] | None = None
        self._draining = False

    @property
    def unanswered_bytes(self) -> int:
        """Return the weight of the writes taken and not yet answered (what backpressure bounds)."""
        return self._unanswered

    async def run(self, requests: collections.abc.AsyncIterator[pb.WriteRequest | decoding.Screened]) -> None:
        """Consume the stream until the client half-closes (or ``drain``), then wait for every queued write."""
        self._task = asyncio.current_task()
        try:
            stream_error: errors.RequestError | None = None
            try:
                async for received in requests:
                    request, refusals = (
                        (received.request, received.refusals)
                        if isinstance(received, decoding.Screened)
                        else (received, {})
                    )
                    for index, op in enumerate(request.ops):
                        if index % OPS_BETWEEN_TURNS == OPS_BETWEEN_TURNS - 1:
                            await asyncio.sleep(0)
                        await self._room.wait()
                        await self._accept(op, refusals.get(index))
            except asyncio.CancelledError:
                if not self._draining:
                    raise
            except errors.RequestError as exc:  # the stream itself is malformed: it ends with this status
                stream_error = exc
            if self._bulk is not None:
                await self._refuse_open_bulk("the stream ended before the bulk's last chunk")
            # Writes already queued still commit; their outcomes go out before the stream ends.
            if self._in_flight:
                await asyncio.wait(self._in_flight)
            await asyncio.sleep(0)  # let the last done-callbacks report before the end marker
            if stream_error is not None:
                raise stream_error
        finally:
            self._outbox.put_nowait(None)

    def drain(self) -> None:
        """Stop reading new writes; those already queued still commit and are reported (server shutdown)."""
        self._draining = True
        if self._task is not None:
            self._task.cancel()

    async def send(self, write: Write) -> None:
        """Write outcomes to the stream until the session's work is done, folding runs of commits into the latest.

        A write's weight is given back once the response that reports it is written, which is
        what lets ``run`` read on.
        """
        outbox = self._outbox
        acked = 0
        while True:
            items = [await outbox.get()]
            while not outbox.empty():
                items.append(outbox.get_nowait())
            newest = acked
            answered = 0
            for item in items:
                if item is None:
                    if newest > acked:
                        await write(pb.WriteResponse(committed_through=newest))
                    return
                seq, weight, failure = item
                answered += weight
                if failure is None:
                    newest = max(newest, seq)
                else:
                    await write(pb.WriteResponse(failure=failure))
            if newest > acked:
                acked = newest
                await write(pb.WriteResponse(committed_through=newest))
            self._answered(answered)

    def _take(self, weight: int) -> None:
        """Count a write taken from the stream; at the window, ``run`` waits before the next one."""
        self._unanswered += weight
        if self._unanswered >= self._limits.session_window_bytes:
            self._room.clear()

    def _answered(self, weight: int) -> None:
        self._unanswered -= weight
        if self._unanswered < self._limits.session_window_bytes:
            self._room.set()

    def _refuse(self, seq: int, error: errors.RequestError) -> None:
        """Report a write as failed (before anything after it), weighing its error until that is written."""
        weight = limits.OBJECT_OVERHEAD + len(error.message)
        self._take(weight)
        self._outbox.put_nowait((seq, weight, _failure(seq, error)))

    async def _drop_bulk(self) -> None:
        """Forget the open chunked bulk, freeing its rows a slice at a time."""
        assert self._bulk is not None
        bulk, self._bulk = self._bulk[1], None
        self._bulk_items = self._bulk_bytes = 0
        await writes.discard(bulk)

    async def _refuse_open_bulk(self, reason: str) -> None:
        """Report the open chunked bulk as failed (before anything after it) and skip its later chunks."""
        assert self._bulk is not None
        seq = self._bulk[0]
        self._refused_bulk_seq = seq
        self._refuse(seq, errors.InvalidArgument("partial", reason))
        await self._drop_bulk()

    async def _accept(self, op: pb.WriteOp, refusal: errors.RequestError | None) -> None:
        seq = op.seq
        if seq == self._refused_bulk_seq:
            return  # a further chunk of a bulk already refused
        continuing = self._bulk is not None and self._bulk[0] == seq
        if self._bulk is not None and not continuing:
            await self._refuse_open_bulk("a new write began before the bulk's last chunk")
        if not continuing and seq <= self._last_seq:
            raise errors.InvalidArgument("seq", f"must increase within a session (got {seq} after {self._last_seq})")
        self._last_seq = seq
        try:
            if refusal is not None:
                raise refusal
            assembled = await self._assemble(seq, op, continuing)
            if assembled is None:
                return
            operation, weight = assembled
            future = await self._writer.submit(operation)
        except errors.RequestError as exc:
            if continuing or op.partial:
                self._refused_bulk_seq = seq
            if self._bulk is not None:
                await self._drop_bulk()
            self._refuse(seq, exc)
            return
        self._take(weight)
        self._in_flight.add(future)
        future.add_done_callback(lambda done: self._report(seq, weight, done))

    async def _assemble(self, seq: int, op: pb.WriteOp, continuing: bool) -> tuple[writes.Operation, int] | None:
        """Return the operation to queue and its weight, or None while a chunked bulk is still arriving."""
        name = op.WhichOneof("op")
        if name is None:
            raise errors.InvalidArgument("op", "is required")
        first_index = self._bulk_items if continuing else 0
        operation = await self._make_operation(name, getattr(op, name), self._session_id, first_index=first_index)
        if not isinstance(operation, writes.Upsert):
            if continuing or op.partial:
                raise errors.InvalidArgument("partial", "only bulk upserts can come in chunks")
            return operation, limits.OBJECT_OVERHEAD
        size = operation.encoded_bytes
        if (self._bulk_bytes if continuing else 0) + size > self._limits.max_bulk_bytes:
            await writes.discard(operation)
            raise self._limits.too_many_bytes()
        if not (continuing or op.partial):
            return operation, size + limits.OBJECT_OVERHEAD * len(operation.rows)
        if self._bulk is None:
            self._bulk, self._bulk_items, self._bulk_bytes = (seq, operation), 0, 0
        elif self._bulk[1].table != operation.table:
            raise errors.InvalidArgument("op", "every chunk of a bulk must be of one kind")
        else:
            self._bulk[1].merge(operation)
        self._bulk_items += len(operation.rows)
        self._bulk_bytes += size
        if op.partial:
            return None
        complete, self._bulk = self._bulk[1], None
        weight = self._bulk_bytes + limits.OBJECT_OVERHEAD * self._bulk_items
        self._bulk_items = self._bulk_bytes = 0
        return complete, weight

    def _report(self, seq: int, weight: int, future: asyncio.Future[object]) -> None:
        self._in_flight.discard(future)
        if future.cancelled():
            self._answered(weight)
            return
        exc = future.exception()
        if exc is None:
            self._outbox.put_nowait((seq, weight, None))
        elif isinstance(exc, errors.RequestError):
            self._outbox.put_nowait((seq, weight, _failure(seq, exc)))
        else:
            error = errors.RequestError(grpc.StatusCode.INTERNAL, str(exc))
            self._outbox.put_nowait((seq, weight, _failure(seq, error)))
