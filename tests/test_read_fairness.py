"""One client cannot starve others' reads: an ended read stops its SQL, and unindexed scans keep to their share.

A read's call ends when its deadline passes, its client cancels it or stops reading; its
statement must stop in the database then, and its reader serve the next read. Queries no index
serves (``reads.Shape.scans``) may hold ``--scan-readers`` readers at once, never all of them.

To hold a scan's statement in the database for as long as a test needs, without timing:

- SQLite: a progress handler on each of the server's reader connections sleeps 10 ms at each
  virtual-machine step where SQLite checks for an interrupt, while the test wants statements
  slow. A statement reading the guild's 5,000 members then runs for minutes (about 15,000 such
  steps), yet stops at once when interrupted, and a query reading a few rows by an index
  (a few dozen steps) still ends within a second.
- PostgreSQL: a transaction of the test's own holds an exclusive lock on the members table, so
  a statement reading members waits on it (shown ``active`` in ``pg_stat_activity``) until it is
  cancelled or the lock goes; roles are not locked.

No assertion is about time: each waits, with a generous timeout, for something to happen.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import os
import pathlib
import subprocess
import sys
import threading
import time
import typing

import asyncpg
import cachestate
import grpc
import hikari
import payloads
import pytest
from conftest import StartServer

from hikari_kura.client import GrpcBackend
from hikari_kura.server import app as server_app
from hikari_kura.server import sqlite_engine
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, queries_pb2

GUILD = payloads.GUILD_ID
FIRST_USER = 1_000_000_000_000_000_000
MEMBERS = 5_000
WAIT = 60.0
"""Seconds a test waits for what must happen; on a loaded machine it happens in well under one."""
SCAN = queries_pb2.MemberQuery(nickname="no member has this nickname")
"""A query no index serves: it reads every member and matches none."""
INDEXED = queries_pb2.RoleQuery(guild_id=GUILD)
"""A query an index serves (roles of a guild, a page through the reader pool, never locked by a test)."""
ROLE_IDS: typing.Final = sorted(int(role["id"]) for role in payloads.guild_create_payload()["roles"])


async def _eventually(check: collections.abc.Callable[[], collections.abc.Awaitable[bool]], what: str) -> None:
    """Wait until ``check`` holds; fail, naming ``what``, if it does not within ``WAIT`` seconds."""
    deadline = time.monotonic() + WAIT
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT} s: {what}")
        await asyncio.sleep(0.05)


class Hold(typing.Protocol):
    """Keeps scans' statements running in the database until they are stopped."""

    async def running(self, count: int = 1) -> None:
        """Wait until at least ``count`` scan statements run."""

    async def stopped(self) -> None:
        """Wait until the interrupted or cancelled scan statement no longer runs."""

    async def running_scans(self) -> int | None:
        """Return how many scan statements run now, where the database tells (None where it does not)."""


class SlowReaders:
    """SQLite: the server's reader connections step slowly while on (see the module's docstring)."""

    def __init__(self, server: server_app.Server) -> None:
        store = server._engine
        assert isinstance(store, sqlite_engine.SqliteEngine)
        self._store = store
        self.on = threading.Event()
        self.stepped = threading.Event()
        """Set by a reader each time it steps slowly: a statement is running."""

    async def install(self) -> None:
        for reader in self._store._all_readers:
            await reader.set_progress_handler(self._step, 1)
        self.on.set()

    def _step(self) -> int:
        if self.on.is_set():
            self.stepped.set()
            time.sleep(0.01)
        return 0  # go on: only an interrupt stops the statement

    async def running(self, count: int = 1) -> None:
        """Wait until a reader steps slowly (how many cannot be told: each reader sets the same event)."""
        self.stepped.clear()
        assert await asyncio.to_thread(self.stepped.wait, WAIT), "no reader ran a statement"

    async def stopped(self) -> None:
        async def interrupted() -> bool:
            return self._store.interrupted_reads >= 1

        await _eventually(interrupted, "the scan's statement was interrupted")

    async def running_scans(self) -> int | None:
        return None


class LockedMembers:
    """PostgreSQL: a transaction of the test's own holds the members table locked (see the module's docstring)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock: asyncpg.Connection | None = None
        self._watch: asyncpg.Connection | None = None
        """Reads ``pg_stat_activity`` outside the lock's transaction (a transaction sees one snapshot of it)."""

    async def install(self) -> None:
        self._watch = await asyncpg.connect(self._url)
        self._lock = await asyncpg.connect(self._url)
        await self._lock.execute("BEGIN")
        await self._lock.execute("LOCK TABLE members IN ACCESS EXCLUSIVE MODE")

    async def release(self) -> None:
        """End the lock's transaction (closing its connection); watching goes on until ``close``."""
        if self._lock is not None:
            await self._lock.close()
            self._lock = None

    async def close(self) -> None:
        await self.release()
        if self._watch is not None:
            await self._watch.close()

    async def running_scans(self) -> int:
        assert self._watch is not None
        count = await self._watch.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%FROM members WHERE nickname%'"
        )
        return int(count)

    async def running(self, count: int = 1) -> None:
        async def enough() -> bool:
            return await self.running_scans() >= count

        await _eventually(enough, f"{count} scan statements waiting on the lock")

    async def stopped(self) -> None:
        async def none() -> bool:
            return await self.running_scans() == 0

        await _eventually(none, "the backend no longer runs the scan")


@pytest.fixture
async def started(
    database: pathlib.Path | str, start_server: StartServer, request: pytest.FixtureRequest
) -> server_app.Server:
    """A server over the test's database with the ``(readers, scan_readers)`` the test's parameter asks for."""
    readers, scan_readers = request.param
    return await start_server(database=database, readers=readers, scan_readers=scan_readers)


@pytest.fixture
async def stored(started: server_app.Server, app: hikari.GatewayBot) -> cachestate.Picture:
    """Store a guild, its roles and MEMBERS members (the first nicknamed "First"); return the cache's picture."""
    target = f"127.0.0.1:{started.port}"
    data = payloads.guild_create_payload()
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        await (await backend.guild_join(payloads.guild(app, data), confirm=True))
        await (await backend.bulk_roles(payloads.roles(app, data), confirm=True))
        members = [
            payloads.member(app, payloads.member_payload(FIRST_USER + n, nick="First" if n == 0 else "Nickname"))
            for n in range(MEMBERS)
        ]
        await (await backend.bulk_members(members, confirm=True))
    finally:
        await backend.disconnect()
    async with grpc.aio.insecure_channel(target) as channel:
        return await cachestate.picture(started.config.database, cache_service_pb2_grpc.CacheServiceStub(channel))


@pytest.fixture
async def hold(started: server_app.Server, stored: cachestate.Picture) -> collections.abc.AsyncIterator[Hold]:
    """Hold scans' statements in the server's database (slowed on SQLite, locked out on PostgreSQL)."""
    database = started.config.database
    if isinstance(database, str):
        locked = LockedMembers(database)
        await locked.install()
        try:
            yield locked
        finally:
            await locked.close()
    else:
        slow = SlowReaders(started)
        await slow.install()
        try:
            yield slow
        finally:
            slow.on.clear()


@pytest.fixture
async def stub(started: server_app.Server) -> collections.abc.AsyncIterator[cache_service_pb2_grpc.CacheServiceStub]:
    """A raw stub of the started server (the conftest's ``stub`` is of the default server)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}") as channel:
        yield cache_service_pb2_grpc.CacheServiceStub(channel)


async def _role_ids(stub: cache_service_pb2_grpc.CacheServiceStub) -> list[int]:
    """Return the ids of the guild's roles, by an indexed query, waiting up to ``WAIT`` seconds for them."""
    return [
        role.id
        async for response in stub.IterRoles(pb.IterRolesRequest(query=INDEXED), timeout=WAIT)
        for role in response.roles
    ]


async def _ends_with(call: typing.Any, code: grpc.StatusCode) -> None:
    """Read a call to its end and check that it ends with status ``code`` having streamed nothing."""
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        async for response in call:
            raise AssertionError(f"a scan that matches nothing streamed {response}")
    assert ended.value.code() == code


@pytest.mark.parametrize("started", [(1, None)], indirect=True)
@pytest.mark.parametrize("ending", ["deadline", "cancel"])
async def test_a_scan_whose_call_ends_stops_its_statement_and_its_reader_serves_the_next_read(
    started: server_app.Server,
    stored: cachestate.Picture,
    hold: Hold,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    ending: str,
) -> None:
    """With one reader, the read after an ended scan runs only if the scan's statement stopped."""
    call = stub.IterMembers(pb.IterMembersRequest(query=SCAN), timeout=5.0 if ending == "deadline" else WAIT)
    if ending == "deadline":
        reading = asyncio.ensure_future(_ends_with(call, grpc.StatusCode.DEADLINE_EXCEEDED))
        await hold.running()
        await reading
    else:
        await hold.running()
        call.cancel()
        assert call.cancelled()

    await hold.stopped()
    assert await _role_ids(stub) == ROLE_IDS
    async with _unheld(hold):
        assert await cachestate.picture(started.config.database, stub) == stored


@contextlib.asynccontextmanager
async def _unheld(hold: Hold) -> collections.abc.AsyncIterator[None]:
    """Let statements run freely for the block (a picture of the cache reads every table)."""
    if isinstance(hold, SlowReaders):
        hold.on.clear()
        yield
        hold.on.set()
    else:
        assert isinstance(hold, LockedMembers)
        await hold.release()
        yield


@pytest.mark.sqlite_only  # PostgreSQL's lock would hold the first page too: see the module's docstring
@pytest.mark.parametrize("started", [(1, None)], indirect=True)
async def test_a_client_that_stops_reading_a_scan_stops_its_statement(
    started: server_app.Server,
    stored: cachestate.Picture,
    hold: Hold,
    stub: cache_service_pb2_grpc.CacheServiceStub,
) -> None:
    """The first page (one row, the first member) arrives; the second page's statement is interrupted."""
    call = stub.IterMembers(
        pb.IterMembersRequest(query=queries_pb2.MemberQuery(nickname="First"), batch_size=1), timeout=WAIT
    )
    first = await call.read()
    assert isinstance(first, pb.IterMembersResponse)
    assert [member.user.id for member in first.members] == [FIRST_USER]
    await hold.running()  # the next page's statement, reading every other member for another "First"
    call.cancel()

    await hold.stopped()
    assert await _role_ids(stub) == ROLE_IDS
    async with _unheld(hold):
        assert await cachestate.picture(started.config.database, stub) == stored


@pytest.mark.parametrize("started", [(2, 1)], indirect=True)
async def test_scans_cannot_take_every_reader_from_indexed_reads(
    started: server_app.Server,
    stored: cachestate.Picture,
    hold: Hold,
    stub: cache_service_pb2_grpc.CacheServiceStub,
) -> None:
    """Two readers, one for scans: with three scans in flight, an indexed query and a point get still complete."""
    scans = [stub.IterMembers(pb.IterMembersRequest(query=SCAN), timeout=WAIT * 3) for _ in range(3)]
    await hold.running()

    assert await _role_ids(stub) == ROLE_IDS
    if isinstance(hold, SlowReaders):  # members are not locked on SQLite: gets and pages of them complete too
        got = [
            m.user.id
            async for response in stub.IterMembers(
                pb.IterMembersRequest(query=queries_pb2.MemberQuery(guild_id=GUILD, id=FIRST_USER + 7)), timeout=WAIT
            )
            for m in response.members
        ]
        assert got == [FIRST_USER + 7]
        page = [
            m.user.id
            async for response in stub.IterMembers(
                pb.IterMembersRequest(query=queries_pb2.MemberQuery(guild_id=GUILD), limit=3), timeout=WAIT
            )
            for m in response.members
        ]
        assert page == [FIRST_USER, FIRST_USER + 1, FIRST_USER + 2]
    assert not any(call.done() for call in scans)  # the scans were in flight all along
    # PostgreSQL tells how many statements run: the share of one holds one scan, the others wait for it.
    assert await hold.running_scans() in (None, 1)

    for call in scans:
        call.cancel()
    async with _unheld(hold):
        assert await cachestate.picture(started.config.database, stub) == stored


KURA = [sys.executable, "-m", "hikari_kura.server"]


def _serve(tmp_path: pathlib.Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KURA_")}
    return subprocess.run(
        [*KURA, "serve", "--database", str(tmp_path / "never.sqlite3"), "--address", "127.0.0.1:0", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_scan_share_of_no_reader_is_a_bad_setting(tmp_path: pathlib.Path) -> None:
    result = _serve(tmp_path, "--scan-readers", "0")

    assert result.returncode == 2, result.stderr
    assert "--scan-readers: must be a positive integer" in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()


def test_a_scan_share_above_the_readers_is_refused_before_anything_is_created(tmp_path: pathlib.Path) -> None:
    result = _serve(tmp_path, "--readers", "2", KURA_SCAN_READERS="3")

    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "--scan-readers is 3: it must be between 1 and --readers (2)" in lines[0], lines
    assert not (tmp_path / "never.sqlite3").exists()
