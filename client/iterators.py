"""A lazy, re-iterable async iterator over cache query results, with the usual helpers.

Nothing is read until the iterator is consumed, and each consumption runs the query anew.
Helpers that stop early (``first``, ``limit``, ``find``...) close the underlying read at once,
which cancels the server's work for a remote backend.
"""

from __future__ import annotations

import collections.abc
import contextlib
import typing

T = typing.TypeVar("T")
U = typing.TypeVar("U")

Items = collections.abc.AsyncGenerator[T, None]


async def _limit(items: Items[T], count: int) -> Items[T]:
    if count == 0:
        return
    taken = 0
    async for item in items:
        yield item
        taken += 1
        if taken == count:
            return


async def _filter(items: Items[T], predicate: collections.abc.Callable[[T], bool]) -> Items[T]:
    async for item in items:
        if predicate(item):
            yield item


async def _map(items: Items[T], function: collections.abc.Callable[[T], U]) -> Items[U]:
    async for item in items:
        yield function(item)


async def _chunk(items: Items[T], size: int) -> Items[list[T]]:
    batch: list[T] = []
    async for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _enumerate(items: Items[T], start: int) -> Items[tuple[int, T]]:
    index = start
    async for item in items:
        yield index, item
        index += 1


async def _drain(items: collections.abc.AsyncIterator[T]) -> Items[T]:
    """Re-yield a plain async iterator as a generator that closes it when closed itself."""
    try:
        async for item in items:
            yield item
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


class CacheIterator(typing.Generic[T]):
    """The results of a cache query: iterate with ``async for``, await for a list, or chain helpers.

    Chaining helpers (``filter``, ``map``, ``limit``, ``chunk``, ``enumerate``) return a new
    iterator and read nothing; terminal helpers (``collect``, ``count``, ``first``...) run it.
    """

    __slots__ = ("_open",)

    def __init__(self, source: collections.abc.Callable[[], collections.abc.AsyncIterator[T]], /) -> None:
        self._open: collections.abc.Callable[[], Items[T]] = lambda: _drain(source())

    def __aiter__(self) -> collections.abc.AsyncIterator[T]:
        return self._open()

    def __await__(self) -> collections.abc.Generator[typing.Any, None, list[T]]:
        return self.collect().__await__()

    def _then(self, step: collections.abc.Callable[[Items[T]], Items[U]]) -> CacheIterator[U]:
        """Chain ``step`` over a fresh run of this iterator, closing that run when the step ends."""

        async def run() -> Items[U]:
            async with contextlib.aclosing(self._open()) as items, contextlib.aclosing(step(items)) as results:
                async for result in results:
                    yield result

        return CacheIterator(run)

    # -- chaining ------------------------------------------------------------------------------

    def filter(self, predicate: collections.abc.Callable[[T], bool], /) -> CacheIterator[T]:
        """Keep the items for which ``predicate`` is true."""
        return self._then(lambda items: _filter(items, predicate))

    def map(self, function: collections.abc.Callable[[T], U], /) -> CacheIterator[U]:
        """Turn each item into ``function(item)``."""
        return self._then(lambda items: _map(items, function))

    def limit(self, count: int, /) -> CacheIterator[T]:
        """Stop after ``count`` items, closing the read."""
        if count < 0:
            raise ValueError("limit must not be negative")
        return self._then(lambda items: _limit(items, count))

    def chunk(self, size: int, /) -> CacheIterator[list[T]]:
        """Group the items into lists of ``size``; the last may be shorter."""
        if size <= 0:
            raise ValueError("chunk size must be positive")
        return self._then(lambda items: _chunk(items, size))

    def enumerate(self, start: int = 0, /) -> CacheIterator[tuple[int, T]]:
        """Pair each item with its index, counting from ``start``."""
        return self._then(lambda items: _enumerate(items, start))

    # -- terminal ------------------------------------------------------------------------------

    async def collect(self) -> list[T]:
        """Read every item into a list."""
        async with contextlib.aclosing(self._open()) as items:
            return [item async for item in items]

    async def count(self) -> int:
        """Count the items, reading them all."""
        total = 0
        async with contextlib.aclosing(self._open()) as items:
            async for _ in items:
                total += 1
        return total

    async def first(self) -> T | None:
        """Return the first item, or None when there is none; the read stops there."""
        async with contextlib.aclosing(self._open()) as items:
            async for item in items:
                return item
        return None

    async def last(self) -> T | None:
        """Return the last item, or None when there is none, reading them all."""
        result: T | None = None
        async with contextlib.aclosing(self._open()) as items:
            async for item in items:
                result = item
        return result

    async def find(self, predicate: collections.abc.Callable[[T], bool], /) -> T | None:
        """Return the first item for which ``predicate`` is true, or None; the read stops there."""
        return await self.filter(predicate).first()

    async def any(self, predicate: collections.abc.Callable[[T], bool], /) -> bool:
        """Tell whether some item satisfies ``predicate``, stopping at the first that does."""
        async with contextlib.aclosing(self._open()) as items:
            async for item in items:
                if predicate(item):
                    return True
        return False

    async def all(self, predicate: collections.abc.Callable[[T], bool], /) -> bool:
        """Tell whether every item satisfies ``predicate``, stopping at the first that does not."""
        return not await self.any(lambda item: not predicate(item))
