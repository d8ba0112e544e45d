"""A lazy, re-iterable async iterator over cache query results, with the helpers of hikari-persist's.

Nothing is read until the iterator is consumed, and each consumption runs the query anew.
Helpers that stop early (``first``, ``limit``, ``take_while``, ``zip``...) close the underlying
read at once, which cancels the server's work for a remote backend. Every public method of
hikari-persist 0.3.0's ``CacheIterator`` is here, with its parameter names and kinds, defaults
and results; unlike persist's, each chaining helper returns a new iterator and leaves the one it
was called on as it was, and helpers apply in the order they are chained.
"""

from __future__ import annotations

import collections.abc
import contextlib
import operator
import typing

if typing.TYPE_CHECKING:
    from _typeshed import SupportsRichComparison, SupportsRichComparisonT

T = typing.TypeVar("T")
U = typing.TypeVar("U")
H = typing.TypeVar("H", bound=collections.abc.Hashable)
In_contra = typing.TypeVar("In_contra", contravariant=True)
Out_co = typing.TypeVar("Out_co", covariant=True)

Items = collections.abc.AsyncGenerator[T, None]
Source: typing.TypeAlias = (
    collections.abc.Callable[[], collections.abc.AsyncIterator[T]] | collections.abc.AsyncIterable[T]
)
"""What a ``CacheIterator`` reads: a function that starts a new read each call, or an async iterable."""


class CacheIteratorStep(typing.Protocol[In_contra, Out_co]):
    """A custom step of an iterator's pipeline, added with ``CacheIterator.add_step``.

    Called with each item that reaches it, it returns ``(value, skip, stop)``:

    - ``skip=False, stop=False``: yield ``value`` and go on;
    - ``skip=True, stop=False``: yield nothing for this item and go on;
    - ``skip=False, stop=True``: yield ``value``, then stop (the read is closed);
    - ``skip=True, stop=True``: yield nothing, and stop.
    """

    def __call__(self, item: In_contra) -> tuple[Out_co, bool, bool]:
        """Return ``(value, skip, stop)`` for ``item``."""
        ...


async def _drain(source: collections.abc.AsyncIterable[T]) -> Items[T]:
    """Re-yield an async iterable as a generator that closes the iterator it opened when closed itself.

    Nothing is opened until the generator is first read, so a read that never starts costs nothing.
    """
    items = aiter(source)
    try:
        async for item in items:
            yield item
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


async def _limit(items: Items[T], size: int) -> Items[T]:
    if size == 0:
        return
    taken = 0
    async for item in items:
        yield item
        taken += 1
        if taken == size:
            return


async def _filter(items: Items[T], predicate: collections.abc.Callable[[T], bool]) -> Items[T]:
    async for item in items:
        if predicate(item):
            yield item


async def _map(items: Items[T], func: collections.abc.Callable[[T], U]) -> Items[U]:
    async for item in items:
        yield func(item)


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


async def _take_while(items: Items[T], predicate: collections.abc.Callable[[T], bool]) -> Items[T]:
    async for item in items:
        if not predicate(item):
            return
        yield item


async def _skip_while(items: Items[T], predicate: collections.abc.Callable[[T], bool]) -> Items[T]:
    async for item in items:
        if not predicate(item):
            yield item
            break
    async for item in items:  # the rest, without asking the predicate again
        yield item


async def _unique(items: Items[T], key: collections.abc.Callable[[T], collections.abc.Hashable] | None) -> Items[T]:
    seen: set[collections.abc.Hashable] = set()
    async for item in items:
        marker = item if key is None else key(item)
        if marker not in seen:  # an unhashable marker raises TypeError, as a set does
            seen.add(marker)
            yield item


async def _flat_map(items: Items[T], func: collections.abc.Callable[[T], collections.abc.AsyncIterable[U]]) -> Items[U]:
    async for item in items:
        async with contextlib.aclosing(_drain(func(item))) as inner:
            async for sub in inner:
                yield sub


async def _zip(items: Items[T], other: collections.abc.AsyncIterable[U]) -> Items[tuple[T, U]]:
    # This side is read first, then the other: when the other runs out, the item read here is dropped.
    async with contextlib.aclosing(_drain(other)) as others:
        async for item in items:
            try:
                paired = await anext(others)
            except StopAsyncIteration:
                return
            yield item, paired


async def _steps(items: Items[T], step: CacheIteratorStep[T, U]) -> Items[U]:
    async for item in items:
        value, skip, stop = step(item)
        if not skip:
            yield value
        if stop:
            return


class CacheIterator(typing.Generic[T]):
    """The results of a cache query: iterate with ``async for``, await for a list, or chain helpers.

    Chaining helpers (``filter``, ``map``, ``limit``, ``take_while``, ``zip``...) return a new
    iterator and read nothing; terminal helpers (``collect``, ``count``, ``first``, ``min``,
    ``sort``...) run it. ``source`` is a function that starts a new read each time it is called
    (every run reads afresh), or an async iterable: an async iterator (as persist's iterator
    takes) can be read once only.
    """

    __slots__ = ("_open",)

    def __init__(self, source: Source[T]) -> None:
        if isinstance(source, collections.abc.AsyncIterable):
            iterable = source
            self._open: collections.abc.Callable[[], Items[T]] = lambda: _drain(iterable)
        else:
            start = source
            self._open = lambda: _drain(start())

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

    def add_step(self, step: CacheIteratorStep[T, U]) -> CacheIterator[U]:
        """Pass each item through a custom ``step``, which returns ``(value, skip, stop)``."""
        return self._then(lambda items: _steps(items, step))

    def filter(self, predicate: collections.abc.Callable[[T], bool]) -> CacheIterator[T]:
        """Keep the items for which ``predicate`` is true."""
        return self._then(lambda items: _filter(items, predicate))

    def map(self, func: collections.abc.Callable[[T], U]) -> CacheIterator[U]:
        """Turn each item into ``func(item)``."""
        return self._then(lambda items: _map(items, func))

    def flat_map(self, func: collections.abc.Callable[[T], collections.abc.AsyncIterable[U]]) -> CacheIterator[U]:
        """Yield, for each item in turn, every item of ``func(item)``: an async iterator or a ``CacheIterator``."""
        return self._then(lambda items: _flat_map(items, func))

    def limit(self, size: int) -> CacheIterator[T]:
        """Stop after ``size`` items, closing the read."""
        if size < 0:
            raise ValueError("limit must not be negative")
        return self._then(lambda items: _limit(items, size))

    def chunk(self, size: int) -> CacheIterator[list[T]]:
        """Group the items into lists of ``size``; the last may be shorter."""
        if size <= 0:
            raise ValueError("chunk size must be positive")
        return self._then(lambda items: _chunk(items, size))

    def enumerate(self, start: int = 0) -> CacheIterator[tuple[int, T]]:
        """Pair each item with its index, counting from ``start``."""
        return self._then(lambda items: _enumerate(items, start))

    def take_while(self, predicate: collections.abc.Callable[[T], bool]) -> CacheIterator[T]:
        """Yield items while ``predicate`` is true; at the first item for which it is not, stop and close the read."""
        return self._then(lambda items: _take_while(items, predicate))

    def skip_while(self, predicate: collections.abc.Callable[[T], bool]) -> CacheIterator[T]:
        """Skip items while ``predicate`` is true, then yield the first that fails it and every item after."""
        return self._then(lambda items: _skip_while(items, predicate))

    @typing.overload
    def unique(self: CacheIterator[H], *, key: None = None) -> CacheIterator[H]: ...
    @typing.overload
    def unique(self, *, key: collections.abc.Callable[[T], collections.abc.Hashable]) -> CacheIterator[T]: ...
    def unique(
        self, *, key: collections.abc.Callable[[T], collections.abc.Hashable] | None = None
    ) -> CacheIterator[typing.Any]:
        """Yield each item whose ``key(item)`` (or the item itself) is not equal to an earlier one's.

        Equality is a set's: hash and ``==``, so ``1``, ``1.0`` and ``True`` are one; an unhashable
        key raises ``TypeError``.
        """
        return self._then(lambda items: _unique(items, key))

    def zip(self, other: collections.abc.AsyncIterable[U]) -> CacheIterator[tuple[T, U]]:
        """Pair each item with the next of ``other``; stop, closing both reads, when either runs out."""
        return self._then(lambda items: _zip(items, other))

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

    async def find(self, predicate: collections.abc.Callable[[T], bool]) -> T | None:
        """Return the first item for which ``predicate`` is true, or None; the read stops there."""
        return await self.filter(predicate).first()

    async def any(self, predicate: collections.abc.Callable[[T], bool]) -> bool:
        """Tell whether some item satisfies ``predicate``, stopping at the first that does."""
        async with contextlib.aclosing(self._open()) as items:
            async for item in items:
                if predicate(item):
                    return True
        return False

    async def all(self, predicate: collections.abc.Callable[[T], bool]) -> bool:
        """Tell whether every item satisfies ``predicate``, stopping at the first that does not."""
        return not await self.any(lambda item: not predicate(item))

    async def min(self, *, key: collections.abc.Callable[[T], SupportsRichComparison]) -> T | None:
        """Return the item with the lowest ``key(item)`` (the first of equals), or None when there is none."""
        return await self._extreme(key, operator.lt)

    async def max(self, *, key: collections.abc.Callable[[T], SupportsRichComparison]) -> T | None:
        """Return the item with the highest ``key(item)`` (the first of equals), or None when there is none."""
        return await self._extreme(key, operator.gt)

    async def _extreme(
        self,
        key: collections.abc.Callable[[T], SupportsRichComparison],
        beats: collections.abc.Callable[[typing.Any, typing.Any], bool],
    ) -> T | None:
        """Return the first item whose key ``beats`` every other's, or None when there is none."""
        found = False
        result: T | None = None
        best: typing.Any = None
        async with contextlib.aclosing(self._open()) as items:
            async for item in items:
                marker = key(item)
                if not found or beats(marker, best):
                    found, result, best = True, item, marker
        return result

    async def reduce(self, func: collections.abc.Callable[[U, T], U], initial: U) -> U:
        """Fold the items into one value: ``func(func(initial, first), second)``...; ``initial`` when there are none."""
        result = initial
        async with contextlib.aclosing(self._open()) as items:
            async for item in items:
                result = func(result, item)
        return result

    @typing.overload
    async def sort(
        self: CacheIterator[SupportsRichComparisonT], *, key: None = None, reverse: bool = False
    ) -> list[SupportsRichComparisonT]: ...
    @typing.overload
    async def sort(
        self, *, key: collections.abc.Callable[[T], SupportsRichComparison], reverse: bool = False
    ) -> list[T]: ...
    async def sort(
        self, *, key: collections.abc.Callable[[T], SupportsRichComparison] | None = None, reverse: bool = False
    ) -> list[typing.Any]:
        """Read every item and return them sorted, stably, by ``key(item)`` or themselves (``reverse``: descending)."""
        items: list[typing.Any] = await self.collect()  # the overloads keep the items comparable
        return sorted(items, key=key, reverse=reverse)
