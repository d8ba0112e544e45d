"""One client's write stream: order its writes, assemble chunked bulks, report each outcome.

Writes are queued to the writer in the order they arrive, so they apply in the
order the client issued them. Each outcome goes to the outbox by sequence
number: a refused write at once, a queued one when the writer has committed it.
"""

from __future__ import annotations

import asyncio
import collections.abc
import typing

import grpc

from hikari_kura.server import errors, writer, writes
from hikari_kura.v1 import cache_service_pb2 as pb

Outbox: typing.TypeAlias = "asyncio.Queue[int | pb.WriteFailure | None]"
"""Events for the client: a committed seq, a failure, or None when the session's work is done."""


class OperationFactory(typing.Protocol):
    """Validates one write request and returns the operation that carries it out."""

    async def __call__(
        self, name: str, request: typing.Any, session_id: int | None, *, first_index: int = 0
    ) -> writes.Operation: ...


def _failure(seq: int, error: errors.RequestError) -> pb.WriteFailure:
    return pb.WriteFailure(seq=seq, code=error.code.value[0], message=error.message)


class WriteSession:
    """The receiving half of one session's ``Write`` stream."""

    def __init__(
        self,
        session_id: int,
        make_operation: OperationFactory,
        write_queue: writer.Writer,
        outbox: Outbox,
        *,
        max_bulk_items: int,
    ) -> None:
        self._session_id = session_id
        self._make_operation = make_operation
        self._writer = write_queue
        self._outbox = outbox
        self._max_bulk_items = max_bulk_items
        self._last_seq = 0
        self._refused_bulk_seq: int | None = None
        self._bulk: tuple[int, writes.Upsert] | None = None
        self._bulk_items = 0
        self._in_flight: set[asyncio.Future[object]] = set()
        self._task: asyncio.Task[None] | None = None
        self._draining = False

    async def run(self, requests: collections.abc.AsyncIterator[pb.WriteRequest]) -> None:
        """Consume the stream until the client half-closes (or ``drain``), then wait for every queued write."""
        self._task = asyncio.current_task()
        try:
            stream_error: errors.RequestError | None = None
            try:
                async for request in requests:
                    for op in request.ops:
                        await self._accept(op)
            except asyncio.CancelledError:
                if not self._draining:
                    raise
            except errors.RequestError as exc:  # the stream itself is malformed: it ends with this status
                stream_error = exc
            if self._bulk is not None:
                self._refuse_open_bulk("the stream ended before the bulk's last chunk")
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

    def _refuse_open_bulk(self, reason: str) -> None:
        """Report the open chunked bulk as failed (before anything after it) and skip its later chunks."""
        assert self._bulk is not None
        seq = self._bulk[0]
        self._refused_bulk_seq, self._bulk = seq, None
        self._outbox.put_nowait(_failure(seq, errors.InvalidArgument("partial", reason)))

    async def _accept(self, op: pb.WriteOp) -> None:
        seq = op.seq
        if seq == self._refused_bulk_seq:
            return  # a further chunk of a bulk already refused
        continuing = self._bulk is not None and self._bulk[0] == seq
        if self._bulk is not None and not continuing:
            self._refuse_open_bulk("a new write began before the bulk's last chunk")
        if not continuing and seq <= self._last_seq:
            raise errors.InvalidArgument("seq", f"must increase within a session (got {seq} after {self._last_seq})")
        self._last_seq = seq
        try:
            operation = await self._assemble(seq, op, continuing)
            if operation is None:
                return
            future = await self._writer.submit(operation)
        except errors.RequestError as exc:
            if continuing or op.partial:
                self._refused_bulk_seq = seq
            self._bulk = None
            self._outbox.put_nowait(_failure(seq, exc))
            return
        self._in_flight.add(future)
        future.add_done_callback(lambda done: self._report(seq, done))

    async def _assemble(self, seq: int, op: pb.WriteOp, continuing: bool) -> writes.Operation | None:
        """Return the operation to queue, or None while a chunked bulk is still arriving."""
        name = op.WhichOneof("op")
        if name is None:
            raise errors.InvalidArgument("op", "is required")
        first_index = self._bulk_items if continuing else 0
        operation = await self._make_operation(name, getattr(op, name), self._session_id, first_index=first_index)
        if not (continuing or op.partial):
            return operation
        if not isinstance(operation, writes.Upsert):
            raise errors.InvalidArgument("partial", "only bulk upserts can come in chunks")
        if self._bulk is None:
            self._bulk, self._bulk_items = (seq, operation), 0
        elif self._bulk[1].table != operation.table:
            raise errors.InvalidArgument("op", "every chunk of a bulk must be of one kind")
        else:
            self._bulk[1].merge(operation)
        self._bulk_items += len(operation.rows)
        if self._bulk_items > self._max_bulk_items:
            raise errors.ResourceExhausted(f"a bulk write holds at most {self._max_bulk_items} objects")
        if op.partial:
            return None
        complete, self._bulk = self._bulk[1], None
        return complete

    def _report(self, seq: int, future: asyncio.Future[object]) -> None:
        self._in_flight.discard(future)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            self._outbox.put_nowait(seq)
        elif isinstance(exc, errors.RequestError):
            self._outbox.put_nowait(_failure(seq, exc))
        else:
            self._outbox.put_nowait(_failure(seq, errors.RequestError(grpc.StatusCode.INTERNAL, str(exc))))
