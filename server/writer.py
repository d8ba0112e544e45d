"""The single writer: one task drains a queue of (operation, future) and commits them in groups.

Operations run in the order they were queued, so one client's writes apply in
issue order. Every operation waiting when a transaction starts joins it (up to a
bound), and all their futures complete once that transaction commits: confirm
means durable. If a group fails, each of its operations is retried alone so the
error reaches only the operation that caused it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
import typing

from hikari_kura.server import engine, errors, writes

_LOGGER = logging.getLogger(__name__)
_TRANSIENT_SQLSTATES: typing.Final = frozenset({"40P01", "40001"})
"""PostgreSQL's deadlock_detected and serialization_failure: the transaction was aborted whole, to be run again."""
_TRANSIENT_ATTEMPTS: typing.Final = 5


@dataclasses.dataclass(slots=True)
class _Pending:
    operation: writes.Operation | writes.Restore
    future: asyncio.Future[object]
    weight: int


class Writer:
    """Own the engine's write transactions and commit queued operations in groups."""

    def __init__(
        self,
        db: engine.Engine,
        *,
        max_queued: int = 10_000,
        max_group_rows: int = 50_000,
        on_commit: typing.Callable[[int], None] | None = None,
    ) -> None:
        self._engine = db
        self._on_commit = on_commit
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue(max_queued)
        self._max_group_rows = max_group_rows
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.transactions = 0
        """Transactions committed since the writer started."""

    @property
    def queue_depth(self) -> int:
        """Return how many operations wait for the writer."""
        return self._queue.qsize()

    def start(self) -> None:
        """Start the writer task."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="kura-writer")

    async def submit(self, operation: writes.Operation | writes.Restore) -> asyncio.Future[object]:
        """Queue an operation; the returned future completes when it is committed or has failed.

        Waits while the queue is full, which holds back the sender instead of
        growing memory without bound. A read-only database refuses every operation here.
        """
        if self._closing:
            raise errors.Unavailable()
        if self._engine.read_only_reason is not None:
            raise errors.ReadOnly(self._engine.read_only_reason)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        weight = len(operation.rows) if isinstance(operation, writes.Upsert) else 1
        await self._queue.put(_Pending(operation, future, weight))
        return future

    async def close(self) -> None:
        """Refuse new operations, commit every queued one, then stop."""
        self._closing = True
        if self._task is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None

    async def _run(self) -> None:
        stopping = False
        held: _Pending | None = None
        while not stopping:
            first = held if held is not None else await self._queue.get()
            held = None
            if first is None:
                break
            group = [first]
            rows = first.weight
            while not self._queue.empty() and rows < self._max_group_rows:
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                if rows + item.weight > self._max_group_rows:
                    # A large write starts a group of its own: what was queued before it commits
                    # (and is confirmed) first, instead of waiting for the large one's transaction.
                    held = item
                    break
                group.append(item)
                rows += item.weight
            await self._commit_group(group)

    async def _commit_group(self, group: list[_Pending]) -> None:
        """Commit the group, keeping any exclusive operation in a transaction of its own."""
        batch: list[_Pending] = []
        for pending in group:
            if getattr(pending.operation, "exclusive", False):
                await self._commit(batch)
                await self._commit([pending])
                batch = []
            else:
                batch.append(pending)
        await self._commit(batch)

    async def _apply_retrying(self, batch: list[_Pending]) -> list[object]:
        """Apply the batch; a transaction the database aborted to break a deadlock is run again, whole.

        Servers sharing one PostgreSQL database may lock the same rows in different orders (one
        group holds a guild then its roles, another the roles then the guild); the database then
        aborts one transaction, which committed nothing, so running it again is safe.
        """
        attempt = 1
        while True:
            try:
                return await self._apply(batch)
            except Exception as exc:
                if attempt == _TRANSIENT_ATTEMPTS or getattr(exc, "sqlstate", None) not in _TRANSIENT_SQLSTATES:
                    raise
                _LOGGER.warning("transaction aborted, running it again attempt=%d error=%s", attempt, exc)
                await asyncio.sleep(random.uniform(0, 0.005 * attempt))  # the two sides retry apart
                attempt += 1

    async def _commit(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        started = time.perf_counter()
        try:
            results = await self._apply_retrying(batch)
        except Exception as exc:
            if len(batch) == 1:
                _LOGGER.error("write failed op=%s error=%s", type(batch[0].operation).__name__, exc)
                self._fail(batch[0], errors.from_storage_error(exc))
                await _discard_large(batch)
                return
            _LOGGER.warning("group of %d writes failed; retrying each alone", len(batch), exc_info=True)
            for pending in batch:
                await self._commit([pending])
            return
        self.transactions += 1
        if self._on_commit is not None:
            self._on_commit(len(batch))
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)
        _LOGGER.debug("committed ops=%d in %.1f ms", len(batch), (time.perf_counter() - started) * 1000)
        await _discard_large(batch)

    async def _apply(self, batch: list[_Pending]) -> list[object]:
        """Apply the batch in one transaction, merging runs of upserts to one table."""
        first = batch[0].operation
        if isinstance(first, writes.Restore):  # _commit_group gives it a batch of its own
            await first.run(self._engine)
            return [None]
        results: list[object] = []
        run: writes.Upsert | None = None
        async with self._engine.transaction() as tx:
            for pending in batch:
                operation = pending.operation
                if isinstance(operation, writes.Upsert):
                    if run is not None and run.table == operation.table:
                        run.merge(operation)
                    else:
                        if run is not None:
                            await run.apply(tx)
                        run = writes.Upsert(operation.table, list(operation.rows), list(operation.role_ids))
                    results.append(None)
                    continue
                if run is not None:
                    await run.apply(tx)
                    run = None
                assert not isinstance(operation, writes.Restore)  # never grouped: see _commit_group
                results.append(await operation.apply(tx))
            if run is not None:
                await run.apply(tx)
        return results

    def _fail(self, pending: _Pending, error: errors.RequestError) -> None:
        if not pending.future.done():
            pending.future.set_exception(error)


async def _discard_large(batch: list[_Pending]) -> None:
    """Free the rows of the batch's large upserts a slice at a time (see ``writes.DISCARD_SLICE``)."""
    for pending in batch:
        if pending.weight > writes.DISCARD_SLICE and isinstance(pending.operation, writes.Upsert):
            await writes.discard(pending.operation)
