"""``CacheIterator``: the helpers of hikari-persist 0.3.0's iterator, with its names, parameters and results.

Expected results are those persist 0.3.0 gives for the same input (run once in a scratch venv to
write them down; persist pins hikari 2.6.0, so it is no dependency of ours and not imported here).
Kura's iterator differs from persist's where the README says: each chaining helper returns a new
iterator, helpers apply in the order they are chained, a run that stops early closes its reads.
"""

from __future__ import annotations

import asyncio
import collections.abc
import dataclasses
import inspect
import typing

import hikari
import payloads
import pytest
import storework

import hikari_kura.client
from hikari_kura.client import Cache, CacheIterator, CacheIteratorStep, GrpcBackend
from hikari_kura.server import app as server_app

POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
KEYWORD = inspect.Parameter.KEYWORD_ONLY
REQUIRED = "required"

# What ``inspect`` shows of persist 0.3.0's ``persist.impl.iterator.CacheIterator`` (self left out):
# name -> (is a coroutine function, ((parameter, kind, repr of its default or REQUIRED), ...)).
PERSIST_CACHE_ITERATOR: typing.Final[dict[str, tuple[bool, tuple[tuple[str, inspect._ParameterKind, str], ...]]]] = {
    "__init__": (False, (("source", POSITIONAL, REQUIRED),)),
    "__aiter__": (False, ()),
    "__await__": (False, ()),
    "add_step": (False, (("step", POSITIONAL, REQUIRED),)),
    "all": (True, (("predicate", POSITIONAL, REQUIRED),)),
    "any": (True, (("predicate", POSITIONAL, REQUIRED),)),
    "chunk": (False, (("size", POSITIONAL, REQUIRED),)),
    "collect": (True, ()),
    "count": (True, ()),
    "enumerate": (False, (("start", POSITIONAL, "0"),)),
    "filter": (False, (("predicate", POSITIONAL, REQUIRED),)),
    "find": (True, (("predicate", POSITIONAL, REQUIRED),)),
    "first": (True, ()),
    "flat_map": (False, (("func", POSITIONAL, REQUIRED),)),
    "last": (True, ()),
    "limit": (False, (("size", POSITIONAL, REQUIRED),)),
    "map": (False, (("func", POSITIONAL, REQUIRED),)),
    "max": (True, (("key", KEYWORD, REQUIRED),)),
    "min": (True, (("key", KEYWORD, REQUIRED),)),
    "reduce": (True, (("func", POSITIONAL, REQUIRED), ("initial", POSITIONAL, REQUIRED))),
    "skip_while": (False, (("predicate", POSITIONAL, REQUIRED),)),
    "sort": (True, (("key", KEYWORD, "None"), ("reverse", KEYWORD, "False"))),
    "take_while": (False, (("predicate", POSITIONAL, REQUIRED),)),
    "unique": (False, (("key", KEYWORD, "None"),)),
    "zip": (False, (("other", POSITIONAL, REQUIRED),)),
}
PERSIST_STEP_CALL: typing.Final = (("item", POSITIONAL, REQUIRED),)
"""``persist.CacheIteratorStep.__call__``'s parameters."""
PERSIST_ITERATOR_EXPORTS: typing.Final = ("CacheIterator", "CacheIteratorStep")
"""The iterator's names in ``persist.__all__``."""


def _shape(function: collections.abc.Callable[..., typing.Any]) -> tuple[tuple[str, inspect._ParameterKind, str], ...]:
    parameters = list(inspect.signature(function).parameters.values())[1:]  # self
    return tuple(
        (p.name, p.kind, REQUIRED if p.default is inspect.Parameter.empty else repr(p.default)) for p in parameters
    )


def test_every_public_method_of_persists_iterator_is_here_with_its_parameters() -> None:
    public = {name for name in dir(CacheIterator) if not name.startswith("_")}
    assert public == {name for name in PERSIST_CACHE_ITERATOR if not name.startswith("_")}
    for name, (is_coroutine, parameters) in PERSIST_CACHE_ITERATOR.items():
        method = getattr(CacheIterator, name)
        assert (name, inspect.iscoroutinefunction(method), _shape(method)) == (name, is_coroutine, parameters)
    assert _shape(CacheIteratorStep.__call__) == PERSIST_STEP_CALL
    assert set(PERSIST_ITERATOR_EXPORTS) <= set(hikari_kura.client.__all__)
    assert hikari_kura.client.CacheIteratorStep is CacheIteratorStep


class _Source:
    """An async source that records how far it was read and whether it was closed."""

    def __init__(self, count: int | collections.abc.Sequence[typing.Any]) -> None:
        self.values: collections.abc.Sequence[typing.Any] = range(count) if isinstance(count, int) else count
        self.read = 0
        self.closed = 0

    async def items(self) -> collections.abc.AsyncGenerator[typing.Any, None]:
        try:
            for item in self.values:
                self.read += 1
                yield item
        finally:
            self.closed += 1

    def iterator(self) -> CacheIterator[typing.Any]:
        return CacheIterator(self.items)


def _of(*values: typing.Any) -> CacheIterator[typing.Any]:
    return _Source(values).iterator()


async def test_early_stops_close_the_read_and_chaining_reads_nothing() -> None:
    source = _Source(1_000)
    results = CacheIterator(source.items).map(lambda x: x * 2).filter(lambda x: x % 3 == 0)
    assert source.read == 0  # chaining is lazy
    assert await results.first() == 0
    assert (source.read, source.closed) == (1, 1)
    assert await results.limit(3).collect() == [0, 6, 12]
    assert (source.read, source.closed) == (1 + 7, 2)
    assert await results.find(lambda x: x > 100) == 102
    assert source.closed == 3
    assert await results.any(lambda x: x == 30)
    assert source.closed == 4
    with pytest.raises(ValueError, match="limit"):
        results.limit(-1)
    with pytest.raises(ValueError, match="chunk"):
        results.chunk(0)


# -- the helpers persist users call by keyword -----------------------------------------------------


async def test_helpers_take_persists_keyword_arguments() -> None:
    numbers = _Source(6).iterator()
    assert await numbers.enumerate(start=5).limit(size=2).collect() == [(5, 0), (6, 1)]
    assert await numbers.map(func=lambda x: x * 3).filter(predicate=lambda x: x % 2 == 0).collect() == [0, 6, 12]
    assert await numbers.chunk(size=4).collect() == [[0, 1, 2, 3], [4, 5]]
    assert await numbers.find(predicate=lambda x: x > 1) == 2
    assert await numbers.any(predicate=lambda x: x == 5)
    assert await numbers.all(predicate=lambda x: x < 6)
    assert await numbers.take_while(predicate=lambda x: x < 2).collect() == [0, 1]
    assert await numbers.skip_while(predicate=lambda x: x < 4).collect() == [4, 5]
    assert await numbers.reduce(func=lambda total, x: total * 10 + x, initial=0) == 12345
    assert await numbers.zip(other=_of("a", "b")).collect() == [(0, "a"), (1, "b")]
    assert await numbers.flat_map(func=lambda x: _of(x, x) if x < 2 else _of()).collect() == [0, 0, 1, 1]
    assert await numbers.add_step(step=lambda item: (item, item % 2 == 1, False)).collect() == [0, 2, 4]
    assert await CacheIterator(source=_Source(2).items).collect() == [0, 1]


async def test_every_helper_of_an_empty_iterator() -> None:
    empty = _of()
    assert await empty.min(key=lambda x: x) is None
    assert await empty.max(key=lambda x: x) is None
    assert await empty.reduce(lambda total, x: total + x, 0) == 0
    assert await empty.sort() == []
    assert await empty.sort(key=lambda x: x, reverse=True) == []
    assert await empty.first() is None
    assert await empty.last() is None
    assert await empty.find(lambda x: True) is None
    assert await empty.count() == 0
    assert await empty.collect() == []
    assert await empty == []
    assert not await empty.any(lambda x: True)
    assert await empty.all(lambda x: False)
    for chained in (
        empty.unique(),
        empty.zip(_of(1)),
        _of(1).zip(empty),
        empty.flat_map(lambda x: _of(x)),
        empty.take_while(lambda x: True),
        empty.skip_while(lambda x: True),
        empty.add_step(lambda item: (item, False, False)),
        empty.chunk(2),
        empty.enumerate(),
    ):
        assert await chained.collect() == []


# -- min, max, reduce, sort ----------------------------------------------------------------------

PAIRS = ((1, "a"), (3, "b"), (3, "c"), (1, "d"), (2, "e"))


async def test_min_and_max_return_the_first_of_equal_keys() -> None:
    assert await _of(*PAIRS).min(key=lambda pair: pair[0]) == (1, "a")
    assert await _of(*PAIRS).max(key=lambda pair: pair[0]) == (3, "b")
    assert await _of(5, -7, 3).max(key=abs) == -7
    assert await _of("bb", "a", "ccc").min(key=len) == "a"


async def test_min_max_and_sort_of_keys_that_do_not_compare_raise_type_error() -> None:
    with pytest.raises(TypeError, match="not supported between"):
        await _of(1, "a").min(key=lambda x: x)
    with pytest.raises(TypeError, match="not supported between"):
        await _of(1, 2).max(key=lambda x: None)
    with pytest.raises(TypeError, match="not supported between"):
        await _of(1, "a").sort()


async def test_reduce_folds_from_the_initial_value_in_order() -> None:
    assert await _of(1, 2, 3).reduce(lambda acc, x: [*acc, x * 2], []) == [2, 4, 6]
    assert await _of("a", "b", "c").reduce(lambda acc, x: acc + x, ">") == ">abc"


async def test_sort_is_stable_by_key_and_reverse_keeps_equal_items_in_order() -> None:
    assert await _of(*PAIRS).sort(key=lambda pair: pair[0]) == [(1, "a"), (1, "d"), (2, "e"), (3, "b"), (3, "c")]
    assert await _of(*PAIRS).sort(key=lambda pair: pair[0], reverse=True) == [
        (3, "b"),
        (3, "c"),
        (2, "e"),
        (1, "a"),
        (1, "d"),
    ]
    assert await _of(3, 1, 2).sort() == [1, 2, 3]
    assert await _of(3, 1, 2).sort(reverse=True) == [3, 2, 1]


# -- take_while, skip_while, unique, flat_map, zip -------------------------------------------------


async def test_take_while_stops_at_the_first_failing_item_and_closes_the_read() -> None:
    source = _Source([1, 2, 5, 1, 2, *range(100)])
    assert await source.iterator().take_while(lambda x: x < 3).collect() == [1, 2]
    assert (source.read, source.closed) == (3, 1)
    assert await _of(2, 4, 3, 6, 5, 8).filter(lambda x: x % 2 == 0).take_while(lambda x: x < 6).collect() == [2, 4]


async def test_skip_while_yields_everything_from_the_first_failing_item_without_asking_again() -> None:
    asked: list[int] = []

    def small(x: int) -> bool:
        asked.append(x)
        return x < 3

    assert await _of(1, 2, 5, 1, 2).skip_while(small).collect() == [5, 1, 2]
    assert asked == [1, 2, 5]


async def test_unique_compares_as_a_set_does() -> None:
    assert await _of(1, 1.0, True, 2, "2", 2).unique().collect() == [1, 2, "2"]
    assert await _of(None, None, 0).unique().collect() == [None, 0]
    assert await _of("a", "B", "A", "b", "c").unique(key=str.lower).collect() == ["a", "B", "c"]
    assert await _of([1], [2], [1]).unique(key=tuple).collect() == [[1], [2]]
    with pytest.raises(TypeError, match="unhashable"):
        await _of([1], [1]).unique().collect()


async def test_flat_map_yields_each_inner_iterator_in_turn_and_closes_the_one_it_stops_in() -> None:
    async def repeat(x: int) -> collections.abc.AsyncIterator[int]:
        for _ in range(x):
            yield x

    assert await _of(1, 2, 0, 3).flat_map(repeat).collect() == [1, 2, 2, 3, 3, 3]
    inner = _Source(100)
    outer = _Source(5)
    assert await outer.iterator().flat_map(lambda _: inner.iterator()).limit(3).collect() == [0, 1, 2]
    assert (inner.read, inner.closed, outer.read, outer.closed) == (3, 1, 1, 1)


async def test_zip_stops_with_the_shorter_side_and_closes_both_reads() -> None:
    longer, shorter = _Source(10), _Source(["a", "b"])
    assert await longer.iterator().zip(shorter.iterator()).collect() == [(0, "a"), (1, "b")]
    # This side is read first: one item more than the other had, as persist reads it.
    assert (longer.read, longer.closed, shorter.read, shorter.closed) == (3, 1, 2, 1)

    shorter, longer = _Source([1, 2]), _Source("abcdefgh")
    assert await shorter.iterator().zip(longer.iterator()).collect() == [(1, "a"), (2, "b")]
    assert (shorter.read, shorter.closed, longer.read, longer.closed) == (2, 1, 2, 1)

    async def letters() -> collections.abc.AsyncIterator[str]:
        for letter in "xyz":
            yield letter

    assert await _of(1, 2).zip(letters()).collect() == [(1, "x"), (2, "y")]  # a plain async iterator too


# -- add_step ------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _TimesTen(CacheIteratorStep[int, int]):
    """A step written as persist's own are: a dataclass subclassing the step protocol."""

    skip_at: int
    stop_at: int

    def __call__(self, item: int) -> tuple[int, bool, bool]:
        return item * 10, item == self.skip_at, item == self.stop_at


async def test_add_step_yields_skips_and_stops_as_its_step_says() -> None:
    assert await _of(1, 2, 3, 4).add_step(_TimesTen(skip_at=2, stop_at=3)).collect() == [10, 30]  # yield, then stop
    assert await _of(1, 2, 3, 4).add_step(_TimesTen(skip_at=3, stop_at=3)).collect() == [10, 20]  # skip, then stop
    source = _Source(100)
    assert await source.iterator().add_step(_TimesTen(skip_at=-1, stop_at=1)).collect() == [0, 10]
    assert (source.read, source.closed) == (2, 1)
    as_strings = _of(1, 2).add_step(lambda item: (str(item), False, False))
    assert await as_strings.collect() == ["1", "2"]


# -- what Kura keeps of its own ------------------------------------------------------------------


async def test_chaining_returns_a_new_iterator_that_reads_afresh_each_run() -> None:
    source = _Source(5)
    base = source.iterator()
    chained = base.filter(lambda x: x % 2 == 0).take_while(lambda x: x < 4).unique().zip(_of("a", "b", "c"))
    assert await base.collect() == [0, 1, 2, 3, 4]  # left as it was
    assert await chained.collect() == [(0, "a"), (2, "b")]
    assert await chained.collect() == [(0, "a"), (2, "b")]
    assert source.closed == 3


async def test_an_iterator_built_from_an_async_iterator_reads_it_once() -> None:
    source = _Source(3)
    once = CacheIterator(source.items())
    assert await once.collect() == [0, 1, 2]
    assert await once.collect() == []


async def test_limit_applies_where_it_is_chained() -> None:
    # persist 0.3.0 limits its iterator's final output wherever limit is chained ([1, 3] here).
    assert await _of(*range(10)).limit(2).filter(lambda x: x % 2 == 1).collect() == [1]
    assert await _of(*range(10)).filter(lambda x: x % 2 == 1).limit(2).collect() == [1, 3]


# -- on a real server: an early stop ends the server's work ------------------------------------------

FIRST_USER = 1_000_000_000_000_000_000
PAGES = 2_500
"""Members in the guild: three of the server's pages of 1000."""


@pytest.fixture
async def guild(backend: GrpcBackend, app: hikari.GatewayBot) -> Cache:
    """A cache over a guild whose members the server sends in several pages."""
    members = [payloads.member(app, payloads.member_payload(FIRST_USER + n)) for n in range(PAGES)]
    await (await backend.bulk_members(members, confirm=True))
    return Cache(app, backend)


async def _stops_the_server(
    server: server_app.Server,
    monkeypatch: pytest.MonkeyPatch,
    run: collections.abc.Callable[[], collections.abc.Awaitable[list[typing.Any]]],
) -> list[typing.Any]:
    """Return what ``run`` reads, once the server's statement for the next page was held and cancelled.

    Only a read that the client closed is cancelled on the server: a helper that kept reading
    would wait for that page for ever (the guard turns that into a failure).
    """
    held = storework.HeldFetch(server, monkeypatch, free=1)
    result = await asyncio.wait_for(run(), timeout=60)
    await asyncio.wait_for(held.held_and_cancelled.wait(), timeout=60)
    assert held.calls == 2
    return result


async def test_take_while_stops_the_server_stream(
    server: server_app.Server, guild: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = guild.members.where(guild_id=payloads.GUILD_ID)
    taken = await _stops_the_server(server, monkeypatch, members.take_while(lambda m: m.id < FIRST_USER + 10).collect)
    assert [int(m.id) for m in taken] == list(range(FIRST_USER, FIRST_USER + 10))


async def test_zip_with_a_shorter_side_stops_the_server_stream(
    server: server_app.Server, guild: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = guild.members.where(guild_id=payloads.GUILD_ID)
    pairs = await _stops_the_server(server, monkeypatch, members.map(lambda m: int(m.id)).zip(_of("a", "b")).collect)
    assert pairs == [(FIRST_USER, "a"), (FIRST_USER + 1, "b")]


async def test_zip_onto_a_longer_server_read_stops_its_stream(
    server: server_app.Server, guild: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = guild.members.where(guild_id=payloads.GUILD_ID).map(lambda m: int(m.id))
    pairs = await _stops_the_server(server, monkeypatch, _of("a", "b").zip(members).collect)
    assert pairs == [("a", FIRST_USER), ("b", FIRST_USER + 1)]
