"""The SQLite engine: one database file, opened and migrated, one write connection and a reader pool.

One connection writes (owned by the writer); a small pool of read-only
connections serves queries, and one more, in the event loop's thread, serves
point gets (one row by its key: cheaper than a hop to a reader's thread). WAL
journaling lets readers run while the writer commits, so reads never wait for
writes. Snapshots are ``VACUUM INTO`` copies.

A read whose call ends (its deadline passed, its client cancelled or went away)
interrupts its statement (``sqlite3.Connection.interrupt``); its reader goes back
to the pool once the statement has stopped, never while it still runs.

A database that exists but cannot be written (a read-only file, directory or
mount) is served read-only: no write connection, reads and snapshots only.
"""

from __future__ import annotations

import asyncio
import collections.abc
import concurrent.futures
import contextlib
import functools
import itertools
import logging
import os
import pathlib
import sqlite3
import tempfile
import time
import typing

import aiosqlite

from hikari_kura.server import engine, errors, file_lock, rows, schema, snapshots

_LOGGER = logging.getLogger(__name__)

SYNCHRONOUS_MODES: typing.Final = ("OFF", "NORMAL", "FULL", "EXTRA")
UPSERT_PREFIX: typing.Final[dict[str, str]] = {
    table: f"INSERT OR REPLACE INTO {table} ({', '.join(columns)})"
    for table, columns in (
        ("guilds", rows.GUILD_COLUMNS),
        ("channels", rows.CHANNEL_COLUMNS),
        ("members", rows.MEMBER_COLUMNS),
        ("roles", rows.ROLE_COLUMNS),
    )
}
"""Each table's upsert up to its ``VALUES``: one statement writes many rows."""
_THREAD_TYPES_SQL: typing.Final = ", ".join(str(value) for value in rows.THREAD_TYPES)
_ENTITY_TABLES: typing.Final = ("guilds", "channels", "members", "roles")
_INSERT_ROLE_ENTRY_PREFIX: typing.Final = "INSERT OR IGNORE INTO member_roles (guild_id, user_id, role_id)"
_DELETE_ROLE_ENTRY_SQL: typing.Final = "DELETE FROM member_roles WHERE guild_id = ? AND user_id = ? AND role_id = ?"
_MAX_ROWS_PER_STATEMENT: typing.Final = 256
"""Rows one multi-row ``INSERT`` writes, and members one lookup's ``IN`` list names (within the
connection's variable limit).

Python's sqlite3 releases the GIL around every step of a statement, and a thread that gives the
GIL up while another runs Python waits up to the switch interval (5 ms) to get it back: with
``executemany`` (a step per row) a write slowed to a crawl whenever the event loop was busy, say
validating the next chunk of a bulk. One statement per 256 rows takes the GIL back once per 256.
"""

# Binding a bytes, None or bool parameter first searches for an adapter (the sqlite3 module takes
# only exact int, float, str and bytearray as they are): two failing attribute lookups that each
# format an AttributeError: 19% of a bulk upsert's instructions (callgrind). A registered
# adapter is found at once in the registry's dict. These give back the same value (a bool binds as
# its int either way), through C callables: ``dict.get`` on an empty dict returns None.
sqlite3.register_adapter(bytes, bytes)
sqlite3.register_adapter(bool, int)
sqlite3.register_adapter(type(None), functools.partial(dict.get, {}))


async def _connect(path: pathlib.Path | str, *, synchronous: str = "FULL") -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        await conn.close()  # its thread would otherwise keep the process alive
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring a database to ``SCHEMA_VERSION`` in one transaction; return the version it had.

    The caller has refused a database of a newer schema (``_read_version``) before opening it for writing.
    """
    ((version,),) = conn.execute("PRAGMA user_version").fetchall()
    if version < schema.SCHEMA_VERSION:
        conn.executescript(f"BEGIN;\n{schema.migration_script(version)}\nCOMMIT;")
        _LOGGER.info("migrated database schema from=%d to=%d", version, schema.SCHEMA_VERSION)
    return int(version)


_T = typing.TypeVar("_T")


class WriteConnection:
    """The write connection and the one thread that runs every statement on it.

    A whole transaction runs as one function on that thread (one hand-off from the
    event loop, not one per statement as through aiosqlite).
    """

    def __init__(self, conn: sqlite3.Connection, thread: concurrent.futures.ThreadPoolExecutor) -> None:
        self._conn = conn
        self._thread = thread

    @classmethod
    async def open(cls, path: pathlib.Path, *, synchronous: str) -> WriteConnection:
        """Open the database file for writing, in WAL mode, on a thread of its own."""
        thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kura-sqlite-writer")

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
            try:
                conn.execute(f"PRAGMA synchronous = {synchronous}")
                ((mode,),) = conn.execute("PRAGMA journal_mode = WAL").fetchall()
                if mode != "wal":
                    raise engine.OpenError(f"database {path} cannot use WAL journaling (SQLite chose {mode})")
            except BaseException:
                conn.close()
                raise
            return conn

        try:
            conn = await asyncio.get_running_loop().run_in_executor(thread, connect)
        except BaseException:
            thread.shutdown()
            raise
        return cls(conn, thread)

    async def run(self, work: collections.abc.Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` with the connection on the write thread, after everything queued before it."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, self._conn)

    async def close(self) -> None:
        """Checkpoint the WAL into the database file, close the connection and end its thread."""

        def close(conn: sqlite3.Connection) -> None:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()

        try:
            await self.run(close)
        finally:
            self._thread.shutdown()


class Statements:
    """The statements of the writes, run on the write thread inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._max_parameters = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    def upsert(
        self, table: str, rows: collections.abc.Sequence[rows.Row], role_ids: collections.abc.Sequence[typing.Any]
    ) -> None:
        conn = self._conn
        if table != "members":
            self._insert(UPSERT_PREFIX[table], rows)
            return
        # A member may come twice in a merged run: the last one wins, as sequential
        # application would leave it, and its role index must hold exactly its roles.
        latest: dict[tuple[int, int], tuple[tuple[object, ...], collections.abc.Sequence[int]]] = {
            typing.cast("tuple[int, int]", row[:2]): (row, ids) for row, ids in zip(rows, role_ids, strict=True)
        }
        stored = self._stored_roles(latest.keys())
        self._insert(UPSERT_PREFIX["members"], [row for row, _ in latest.values()])
        dropped: list[tuple[int, int, int]] = []
        added: list[tuple[int, int, int]] = []
        for (guild_id, user_id), (_, ids) in latest.items():
            held = stored.get((guild_id, user_id))
            if held is None:
                added.extend((guild_id, user_id, role_id) for role_id in ids)
            elif held != set(ids):
                dropped.extend((guild_id, user_id, role_id) for role_id in held.difference(ids))
                added.extend((guild_id, user_id, role_id) for role_id in set(ids).difference(held))
        if dropped:
            conn.executemany(_DELETE_ROLE_ENTRY_SQL, dropped)
        self._insert(_INSERT_ROLE_ENTRY_PREFIX, added)

    def _insert(self, prefix: str, values: collections.abc.Sequence[collections.abc.Sequence[object]]) -> None:
        """Run ``prefix VALUES (...), (...)`` over the rows: many rows per statement (``_MAX_ROWS_PER_STATEMENT``)."""
        if not values:
            return
        width = len(values[0])
        for start, count in _batches(len(values), self._max_parameters // width):
            self._conn.execute(
                _values_sql(prefix, width, count), list(itertools.chain.from_iterable(values[start : start + count]))
            )

    def _stored_roles(self, keys: collections.abc.Iterable[tuple[int, int]]) -> dict[tuple[int, int], set[int]]:
        """Return the roles each of these members holds now, by key; members not stored are left out."""
        by_guild: dict[int, list[int]] = {}
        for guild_id, user_id in keys:
            by_guild.setdefault(guild_id, []).append(user_id)
        held: dict[tuple[int, int], set[int]] = {}
        for guild_id, user_ids in by_guild.items():
            for start, count in _batches(len(user_ids), self._max_parameters - 1):
                found = self._conn.execute(_lookup_sql(count), (guild_id, *user_ids[start : start + count]))
                for user_id, data in found:
                    held[(guild_id, user_id)] = set(rows.member_role_ids(data))
        return held

    def _drop_role_entries(self, deleted: collections.abc.Iterable[tuple[int, int, bytes]]) -> None:
        """Remove the role index entries of members just deleted, from their (guild, user, data) rows."""
        self._conn.executemany(
            _DELETE_ROLE_ENTRY_SQL,
            [
                (guild_id, user_id, role_id)
                for guild_id, user_id, data in deleted
                for role_id in set(rows.member_role_ids(data))
            ],
        )

    def delete_guild(self, guild_id: int) -> None:
        params = (guild_id,)
        self._conn.execute("DELETE FROM guilds WHERE id = ?", params)
        self._drop_role_entries(
            self._conn.execute("DELETE FROM members WHERE guild_id = ? RETURNING guild_id, id, data", params).fetchall()
        )
        for table in ("channels", "roles"):
            self._conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", params)

    def delete_channel(self, channel_id: int) -> None:
        self._conn.execute(
            f"DELETE FROM channels WHERE id = ? OR (parent_id = ? AND type IN ({_THREAD_TYPES_SQL}))",
            (channel_id, channel_id),
        )

    def delete_member(self, guild_id: int, user_id: int) -> None:
        self._drop_role_entries(
            self._conn.execute(
                "DELETE FROM members WHERE guild_id = ? AND id = ? RETURNING guild_id, id, data", (guild_id, user_id)
            ).fetchall()
        )

    def delete_role(self, role_id: int, strip_role: collections.abc.Callable[[bytes, int], bytes]) -> None:
        holders = self._conn.execute(
            "SELECT m.guild_id, m.id, m.data FROM member_roles r"
            " JOIN members m ON m.guild_id = r.guild_id AND m.id = r.user_id WHERE r.role_id = ?",
            (role_id,),
        ).fetchall()
        self._conn.executemany(
            "UPDATE members SET data = ? WHERE guild_id = ? AND id = ?",
            [(strip_role(data, role_id), guild_id, user_id) for guild_id, user_id, data in holders],
        )
        self._conn.execute("DELETE FROM member_roles WHERE role_id = ?", (role_id,))
        self._conn.execute("DELETE FROM roles WHERE id = ?", (role_id,))

    def clear(self, tables: collections.abc.Sequence[str]) -> None:
        for table in tables:
            self._conn.execute(f"DELETE FROM {table}")
            if table == "members":
                self._conn.execute("DELETE FROM member_roles")

    def prune(
        self, open_sessions: collections.abc.Collection[int], shard_id: int | None, shard_count: int | None
    ) -> engine.PruneCounts:
        sessions = sorted(open_sessions)
        stale = f"(session_id IS NULL OR session_id NOT IN ({', '.join('?' * len(sessions))}))"
        counts: dict[str, int] = {}
        for table in _ENTITY_TABLES:
            guild_column = "id" if table == "guilds" else "guild_id"
            where, params = stale, list(sessions)
            if shard_count is not None and shard_id is not None:
                where += f" AND (({guild_column} >> 22) % ?) = ?"
                params += [shard_count, shard_id]
            if table == "members":
                deleted = self._conn.execute(
                    f"DELETE FROM members WHERE {where} RETURNING guild_id, id, data", params
                ).fetchall()
                self._drop_role_entries(deleted)
                counts[table] = len(deleted)
            else:
                counts[table] = self._conn.execute(f"DELETE FROM {table} WHERE {where}", params).rowcount
        return engine.PruneCounts(**counts)

    def open_session(self, peer: str) -> int:
        cursor = self._conn.execute("INSERT INTO sessions (opened_at, peer) VALUES (?, ?)", (time.time(), peer))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def resume_session(self, session_id: int, peer: str) -> bool:
        cursor = self._conn.execute("UPDATE sessions SET closed_at = NULL, peer = ? WHERE id = ?", (peer, session_id))
        return cursor.rowcount == 1

    def close_session(self, session_id: int) -> None:
        self._conn.execute("UPDATE sessions SET closed_at = ? WHERE id = ?", (time.time(), session_id))

    def commit(self) -> None:
        self._conn.execute("COMMIT")


def _batches(total: int, most: int) -> collections.abc.Iterator[tuple[int, int]]:
    """Split ``total`` rows into (start, count) runs of at most ``most`` (and 256) rows, each a power of two.

    Power-of-two sizes keep the distinct statements few (nine at most per kind), so they stay
    in the connection's statement cache.
    """
    largest = 1 << (min(most, _MAX_ROWS_PER_STATEMENT).bit_length() - 1)
    start = 0
    while start < total:
        count = min(largest, 1 << ((total - start).bit_length() - 1))
        yield start, count
        start += count


@functools.cache
def _values_sql(prefix: str, width: int, count: int) -> str:
    """Return ``prefix VALUES`` with ``count`` rows of ``width`` placeholders."""
    row = f"({', '.join('?' * width)})"
    return f"{prefix} VALUES {', '.join([row] * count)}"


@functools.cache
def _lookup_sql(count: int) -> str:
    """Return the query for the stored messages of ``count`` members of one guild."""
    return f"SELECT id, data FROM members WHERE guild_id = ? AND id IN ({', '.join('?' * count)})"


_Step: typing.TypeAlias = "collections.abc.Callable[[Statements], object]"


class SqliteTransaction:
    """The writes of one SQLite transaction: queued, then run on the write thread in one hop.

    Writes that return nothing wait until the transaction commits (or until a write
    whose result is needed now), so a group of writes costs one hand-off to the write
    thread. A failing statement therefore raises at that hop: the whole transaction
    is rolled back either way.
    """

    def __init__(self, connection: WriteConnection) -> None:
        self._connection = connection
        self._queued: list[_Step] = []
        self._begun = False

    async def _run(self, last: collections.abc.Callable[[Statements], _T]) -> _T:
        """Run the queued writes and then ``last`` on the write thread, beginning the transaction first if new."""
        queued, self._queued = self._queued, []
        begin, self._begun = not self._begun, True

        def work(conn: sqlite3.Connection) -> _T:
            if begin:
                conn.execute("BEGIN IMMEDIATE")
            statements = Statements(conn)
            for step in queued:
                step(statements)
            return last(statements)

        return await self._connection.run(work)

    async def commit(self) -> None:
        """Run what is queued and commit."""
        await self._run(Statements.commit)

    async def rollback(self) -> None:
        """Drop what is queued and roll back whatever ran."""
        self._queued = []
        if self._begun:
            await self._connection.run(_rollback)

    async def upsert(
        self, table: str, rows: collections.abc.Sequence[rows.Row], role_ids: collections.abc.Sequence[typing.Any]
    ) -> None:
        """Write the rows; a member's role index is replaced with the roles it now holds."""
        self._queued.append(lambda statements: statements.upsert(table, rows, role_ids))

    async def delete_guild(self, guild_id: int) -> None:
        """Delete the guild's rows from every table."""
        self._queued.append(lambda statements: statements.delete_guild(guild_id))

    async def delete_channel(self, channel_id: int) -> None:
        """Delete the channel and its threads."""
        self._queued.append(lambda statements: statements.delete_channel(channel_id))

    async def delete_member(self, guild_id: int, user_id: int) -> None:
        """Delete the member and its role index entries."""
        self._queued.append(lambda statements: statements.delete_member(guild_id, user_id))

    async def delete_role(self, role_id: int, strip_role: collections.abc.Callable[[bytes, int], bytes]) -> None:
        """Delete the role, then rewrite each member that held it."""
        self._queued.append(lambda statements: statements.delete_role(role_id, strip_role))

    async def clear(self, tables: collections.abc.Sequence[str]) -> None:
        """Empty the tables (and the member role index with members)."""
        self._queued.append(lambda statements: statements.clear(tables))

    async def prune(
        self, open_sessions: collections.abc.Collection[int], shard_id: int | None, shard_count: int | None
    ) -> engine.PruneCounts:
        """Delete stale rows table by table and count them; only this server writes the file."""
        return await self._run(lambda statements: statements.prune(open_sessions, shard_id, shard_count))

    async def open_session(self, peer: str) -> int:
        """Insert a session row; its id is the autoincrement key, never reused."""
        return await self._run(lambda statements: statements.open_session(peer))

    async def resume_session(self, session_id: int, peer: str) -> bool:
        """Clear the session's end, if the file knows the session."""
        return await self._run(lambda statements: statements.resume_session(session_id, peer))

    async def close_session(self, session_id: int) -> None:
        """Stamp the session's end."""
        self._queued.append(lambda statements: statements.close_session(session_id))


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.rollback()


def writable(path: pathlib.Path) -> bool:
    """Return whether this process may write the file and create its WAL files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _access(path: pathlib.Path, *, create_dirs: bool, read_only: bool) -> tuple[bool, bool]:
    """Return whether the database file exists, and whether this process may write it (or create it, if not).

    A file path that is a directory, or whose directory is missing, is refused: a typo in
    ``--database`` must not become a new, empty cache somewhere else. ``create_dirs`` makes
    the missing directories instead.
    """
    if path.is_dir():
        raise engine.OpenError(f"database {path} is a directory: give the path of a file, e.g. {path / 'kura.sqlite3'}")
    if path.exists():
        return True, writable(path)
    directory = path.parent
    if not directory.is_dir() and not read_only:
        if directory.exists():
            raise engine.OpenError(f"database {path}: {directory} is not a directory")
        if not create_dirs:
            raise engine.OpenError(
                f"database {path}: directory {directory} does not exist (create it, or pass --create-dirs)"
            )
        try:
            directory.mkdir(parents=True)
        except OSError as exc:
            raise engine.OpenError(f"database {path}: cannot create directory {directory}: {exc.strerror}") from None
        _LOGGER.info("created directory %s for database %s", directory, path)
    return False, directory.is_dir() and os.access(directory, os.W_OK)


def read_only_uri(path: pathlib.Path) -> str:
    """Return the URI that reads ``path`` without writing or creating anything beside it.

    A WAL database needs its ``-shm`` index to be read: where the file and the
    directory can be written, ``mode=ro`` creates it. Where they cannot, and the
    ``-wal`` is missing or empty (a cleanly stopped server checkpoints and removes
    it), the file holds every committed write and nothing can change it, so it
    opens ``immutable`` (no index, no locks). A ``-wal`` left by a crash holds
    committed writes that ``immutable`` would skip: ``mode=ro`` reads it with its ``-shm``.
    """
    uri = f"{path.absolute().as_uri()}?mode=ro"
    log = path.with_name(path.name + "-wal")
    if writable(path) or (log.exists() and log.stat().st_size > 0):
        return uri
    return uri + "&immutable=1"


class SqliteEngine:
    """The cache database file and its connections."""

    name = "sqlite"
    schema_version = schema.SCHEMA_VERSION
    heartbeat_seconds: float | None = None

    def __init__(
        self,
        path: pathlib.Path,
        lock: file_lock.DatabaseLock,
        writes: WriteConnection | None,
        readers: list[aiosqlite.Connection],
        point_reader: sqlite3.Connection,
        *,
        scan_readers: int,
        read_only_reason: str | None = None,
    ):
        self.path = path
        self.read_only_reason = read_only_reason
        self._lock = lock
        self._writes = writes
        self._read_uri = read_only_uri(path)
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers = readers
        for reader in readers:
            self._readers.put_nowait(reader)
        self._point_reader = point_reader
        self._scans = asyncio.Semaphore(scan_readers)
        self._running: set[asyncio.Task[typing.Any]] = set()
        """Statements running on readers, each owning its reader until it stops."""
        self.interrupted_reads = 0
        """Statements stopped by an interrupt because their call ended before they did."""

    @classmethod
    async def open(
        cls,
        path: pathlib.Path,
        *,
        readers: int = 4,
        scan_readers: int | None = None,
        synchronous: str = "FULL",
        read_only: bool = False,
        create_dirs: bool = False,
    ) -> SqliteEngine:
        """Open (creating and migrating as needed) the database at ``path``; read-only if asked or it must be.

        The file's lock (``file_lock``) is taken before anything else opens it and held until ``close``:
        exclusive to write the file, shared to serve it read-only. Unindexed scans may hold
        ``scan_readers`` of the ``readers`` at once (``engine.scan_share``).
        """
        scans = engine.scan_share(readers, scan_readers)
        exists, can_write = _access(path, create_dirs=create_dirs, read_only=read_only)
        if read_only and not exists:
            raise engine.OpenError(f"database {path} does not exist: there is nothing to serve read-only")
        if not exists and not can_write:
            raise engine.OpenError(
                f"database {path} does not exist and cannot be created in a read-only location: nothing to serve"
            )
        reason = None
        if not can_write:
            reason = f"database {path} cannot be written"
        elif read_only:
            reason = f"database {path} is served with --read-only"
        try:
            lock = file_lock.DatabaseLock.acquire(path, shared=reason is not None)
        except file_lock.LockedError as exc:
            raise engine.OpenError(str(exc)) from None
        try:
            if not can_write:
                _LOGGER.warning("database %s cannot be written: serving it read-only, every write is refused", path)
            elif read_only:
                _LOGGER.info("serving database %s read-only as asked, every write is refused", path)
            if reason is not None:
                return await cls._open_read_only(path, lock, readers, scans, reason)
            return await cls._open_writable(path, lock, readers, scans, synchronous, exists=exists)
        except BaseException:
            lock.release()
            raise

    @classmethod
    async def _open_writable(
        cls,
        path: pathlib.Path,
        lock: file_lock.DatabaseLock,
        readers: int,
        scans: int,
        synchronous: str,
        *,
        exists: bool,
    ) -> SqliteEngine:
        """Check that an existing file is Kura's, open the write connection, migrate, then open the readers."""
        version = await asyncio.to_thread(_read_version, path, read_only_uri(path)) if exists else 0
        if version > schema.SCHEMA_VERSION:
            raise engine.OpenError(
                f"database {path} has schema version {version}, newer than this server's {schema.SCHEMA_VERSION}: "
                "serve it with the Kura version that wrote it"
            )
        writes = await WriteConnection.open(path, synchronous=synchronous)
        try:
            await writes.run(migrate)
            reader_conns = []
            for _ in range(readers):
                reader = await _connect(path, synchronous=synchronous)
                await reader.execute("PRAGMA query_only = 1")
                reader_conns.append(reader)
            point_reader = _point_reader(path)
            point_reader.execute("PRAGMA query_only = 1")
        except BaseException:
            await writes.close()
            raise
        _LOGGER.info(
            "opened database path=%s readers=%d scan_readers=%d synchronous=%s", path, readers, scans, synchronous
        )
        return cls(path, lock, writes, reader_conns, point_reader, scan_readers=scans)

    @classmethod
    async def _open_read_only(
        cls, path: pathlib.Path, lock: file_lock.DatabaseLock, readers: int, scans: int, reason: str
    ) -> SqliteEngine:
        """Open reader connections only; the schema must already be this server's (no migration without writes)."""
        uri = read_only_uri(path)
        try:
            # Plain sqlite3 first: an aiosqlite connection that fails to open leaves its thread running.
            version = await asyncio.to_thread(_read_version, path, uri)
        except sqlite3.Error as exc:
            raise engine.OpenError(
                f"database {path} cannot be read without write access ({exc}); a write-ahead log left by a "
                "crash needs its -shm file beside it, or one start with write access to fold it in"
            ) from exc
        if version != schema.SCHEMA_VERSION:
            age = "newer" if version > schema.SCHEMA_VERSION else "older"
            raise engine.OpenError(
                f"database {path} has schema version {version}, {age} than this server's "
                f"{schema.SCHEMA_VERSION}, and is read-only: it cannot be migrated (serve it once with write "
                "access, or with the server version that wrote it)"
            )
        conns: list[aiosqlite.Connection] = []
        try:
            for _ in range(readers):
                conns.append(await aiosqlite.connect(uri, uri=True, isolation_level=None))
            point_reader = _point_reader(uri)
        except BaseException:
            for conn in conns:
                await conn.close()
            raise
        _LOGGER.info("opened database path=%s readers=%d scan_readers=%d read_only=true", path, readers, scans)
        return cls(path, lock, None, conns, point_reader, scan_readers=scans, read_only_reason=reason)

    async def close(self) -> None:
        """Stop the statements still running, checkpoint the WAL into the database file, close every connection."""
        for reader in self._all_readers:
            await reader.interrupt()
        await asyncio.gather(*self._running, return_exceptions=True)
        for reader in self._all_readers:
            await reader.close()
        self._point_reader.close()
        try:
            if self._writes is not None:
                await self._writes.close()
        finally:
            self._lock.release()  # after the checkpoint: the next server opens a file no one works on
        _LOGGER.info("closed database path=%s", self.path)

    def _write_connection(self) -> WriteConnection:
        """Return the write connection, or refuse: the database is served read-only."""
        if self._writes is None:
            raise errors.ReadOnly(self.read_only_reason or f"database {self.path} is served read-only")
        return self._writes

    @contextlib.asynccontextmanager
    async def transaction(self) -> collections.abc.AsyncIterator[engine.Transaction]:
        """Begin an immediate transaction on the write connection; commit, or roll back on error."""
        transaction = SqliteTransaction(self._write_connection())
        try:
            yield transaction
            await transaction.commit()
        except BaseException:
            await transaction.rollback()
            raise

    async def fetch(
        self, sql: str, params: collections.abc.Sequence[object], *, scan: bool = False
    ) -> list[typing.Any]:
        """Run one read statement on a pooled reader connection; a scan first takes a place in the scans' share.

        The statement runs in a task of its own that gives the reader (and the scan's place)
        back when the statement stops. Cancelling the caller interrupts the statement, so an
        expired or abandoned read never keeps a reader busy.
        """
        if scan:
            await self._scans.acquire()
        try:
            reader = await self._readers.get()
        except BaseException:
            if scan:
                self._scans.release()
            raise
        running = asyncio.ensure_future(reader.execute_fetchall(sql, params))
        self._running.add(running)
        running.add_done_callback(functools.partial(self._statement_stopped, reader, scan))
        try:
            return list(await asyncio.shield(running))
        except asyncio.CancelledError:
            if not running.done():
                # Thread-safe; a statement that ended meanwhile makes it a no-op (it never reaches the next one).
                await reader.interrupt()
            raise

    def _statement_stopped(self, reader: aiosqlite.Connection, scan: bool, running: asyncio.Task[typing.Any]) -> None:
        """Give a reader back once its statement stopped (ran out, failed, or was interrupted)."""
        self._running.discard(running)
        error = None if running.cancelled() else running.exception()
        if isinstance(error, sqlite3.OperationalError) and str(error) == "interrupted":
            self.interrupted_reads += 1
            _LOGGER.debug("read interrupted: its call ended before its statement did")
        self._readers.put_nowait(reader)
        if scan:
            self._scans.release()

    async def lookup(self, sql: str, params: collections.abc.Sequence[object]) -> list[typing.Any]:
        """Run a point get on the event loop's own connection: one index lookup costs less than a thread hop."""
        return self._point_reader.execute(sql, params).fetchall()

    async def counts(self) -> dict[str, int]:
        """Return how many objects of each kind are stored (counting reads whole tables: scans)."""
        result = {}
        for table in _ENTITY_TABLES:
            ((count,),) = await self.fetch(f"SELECT count(*) FROM {table}", (), scan=True)
            result[table] = int(count)
        return result

    async def database_bytes(self) -> int:
        """Return the bytes of the database file and its WAL."""
        return database_bytes(self.path)

    def scrape_counter(self) -> collections.abc.Callable[[], tuple[dict[str, int], int]]:
        """Return a counter that reads the file with a connection of the calling thread, never the loop's."""
        return functools.partial(count_file, self.path, self._read_uri)

    async def close_stale_sessions(self) -> None:
        """Mark closed every session a previous run left open: only this server uses the file (read-only: none)."""
        if self._writes is not None:
            closed_at = time.time()
            await self._writes.run(
                lambda conn: conn.execute("UPDATE sessions SET closed_at = ? WHERE closed_at IS NULL", (closed_at,))
            )

    async def heartbeat(self, session_ids: collections.abc.Collection[int]) -> None:
        """Nothing to do: no other server reads this file's sessions."""

    def temporary_path(self, prefix: str) -> pathlib.Path:
        """Return a fresh file path beside the database (same filesystem, so no cross-device copies).

        A read-only database's directory takes no files: its snapshots go to the system's temporary directory.
        """
        directory = None if self._writes is None else self.path.parent
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.{prefix}-", dir=directory)
        os.close(fd)
        return pathlib.Path(name)

    async def snapshot(self) -> pathlib.Path:
        """Write a consistent, sealed copy of the database to a temporary file and return its path."""
        target = self.temporary_path("snapshot")
        target.unlink()  # VACUUM INTO wants to create the file itself
        try:
            conn = await aiosqlite.connect(self._read_uri, uri=True, isolation_level=None, timeout=5)
            try:
                await conn.execute("VACUUM INTO ?", (str(target),))
            finally:
                await conn.close()
            await asyncio.to_thread(snapshots.seal, target)
        except BaseException:
            snapshots.remove_files(target)
            raise
        return target

    async def restore(self, path: pathlib.Path, session_id: int | None) -> None:
        """Attach the validated snapshot, copy its tables over ours in one transaction, detach."""
        await self._write_connection().run(functools.partial(_restore, path, session_id))


def _restore(path: pathlib.Path, session_id: int | None, conn: sqlite3.Connection) -> None:
    """Copy a validated snapshot's tables over the database's in one transaction (on the write thread)."""
    conn.execute("ATTACH DATABASE ? AS snapshot", (str(path),))
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in schema.CACHE_TABLES:
                columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
                selected = ["?" if column == "session_id" else column for column in columns]
                params = (session_id,) if "session_id" in columns else ()
                conn.execute(f"DELETE FROM main.{table}")
                conn.execute(
                    f"INSERT INTO main.{table} ({', '.join(columns)})"
                    f" SELECT {', '.join(selected)} FROM snapshot.{table}",
                    params,
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("DETACH DATABASE snapshot")


def _point_reader(database: pathlib.Path | str) -> sqlite3.Connection:
    """Open the connection point gets run on, in the event loop's thread (a path, or a read-only URI).

    It never waits for a lock (busy timeout 0): a WAL reader meets one only while another
    connection recovers the file after a crash, which ``open`` finishes before anything is served.
    """
    uri = isinstance(database, str)
    return sqlite3.connect(database, uri=uri, timeout=0, isolation_level=None)


def _read_version(path: pathlib.Path, uri: str) -> int:
    """Return the schema version of the Kura database at ``uri`` (which may open it read-only).

    A file that another application made is refused before anything writes it (not even the
    switch to WAL journaling): a typo in ``--database`` must not add Kura's tables to its data.
    """
    conn = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        (tables,) = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()
    if app_id != schema.APPLICATION_ID and (version or tables):
        raise engine.OpenError(
            f"database {path} is not a Kura database (its application_id is {app_id:#x}, Kura's is "
            f"{schema.APPLICATION_ID:#x}): Kura serves only files it made"
        )
    return int(version)


def count_file(database: pathlib.Path, uri: str) -> tuple[dict[str, int], int]:
    """Return the stored objects of each kind and the bytes of a database file, read through ``uri`` (read-only)."""
    conn = sqlite3.connect(uri, uri=True, timeout=5)
    try:
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _ENTITY_TABLES}
    finally:
        conn.close()
    return counts, database_bytes(database)


def database_bytes(database: pathlib.Path) -> int:
    """Return the bytes the database takes on disk, with its write-ahead log."""
    total = 0
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            pass
    return total
