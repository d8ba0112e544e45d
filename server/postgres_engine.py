"""The PostgreSQL engine: a shared database any number of Kura servers use at once, through asyncpg.

Each server keeps its own single writer (one pooled connection) and a pool of
reader connections. Upserts send each column as one array and insert with
``unnest`` and ``ON CONFLICT``: one statement per table per group, whatever its
size. Sessions live in the shared ``sessions`` table with a heartbeat, so every
server's prune keeps what any live session wrote.

A read whose call ends (deadline, cancel) is cancelled in PostgreSQL too: asyncpg
sends the server a cancel request for the running statement when the task awaiting
it is cancelled, and resets the connection before the pool hands it out again.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import functools
import logging
import os
import pathlib
import re
import tempfile
import typing
import urllib.parse

import asyncpg
import grpc

from hikari_kura.server import engine, errors, postgres_schema, rows, schema, snapshots

_LOGGER = logging.getLogger(__name__)

_ENTITY_TABLES: typing.Final = ("guilds", "channels", "members", "roles")
_KEYS: typing.Final[dict[str, tuple[str, ...]]] = {
    "guilds": ("id",),
    "channels": ("id",),
    "members": ("guild_id", "id"),
    "roles": ("id",),
    "member_roles": ("guild_id", "user_id", "role_id"),
}
_COLUMNS: typing.Final[dict[str, tuple[str, ...]]] = {
    "guilds": rows.GUILD_COLUMNS,
    "channels": rows.CHANNEL_COLUMNS,
    "members": rows.MEMBER_COLUMNS,
    "roles": rows.ROLE_COLUMNS,
}
_THREAD_TYPES_SQL: typing.Final = ", ".join(str(value) for value in rows.THREAD_TYPES)
_UPSERT_CHUNK: typing.Final = 20_000
"""Rows per statement: bounds the arrays one statement carries, however large the bulk."""
_PLACEHOLDER: typing.Final = re.compile(r"\?")
_LOST: typing.Final = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)
"""What a lost or refused connection raises (PostgreSQL stopped, restarting, unreachable)."""
_Connection: typing.TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"


@functools.lru_cache(maxsize=512)
@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """Return ``sql`` with each ``?`` placeholder numbered as PostgreSQL wants (``$1``, ``$2``, ...).

    Cached: reads repeat a few statement shapes (``reads.shape``), so each is numbered once.
    """
    counter = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def redacted(url: str) -> str:
    """Return a database URL without its password, fit for logs and error messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _utf8(values: collections.abc.Iterable[typing.Any]) -> list[typing.Any]:
    """Return text values as the UTF-8 bytes their ``BYTEA`` column holds (None stays None)."""
    return [None if value is None else value.encode() for value in values]


def _arrays(chunk: collections.abc.Sequence[rows.Row], text: collections.abc.Sequence[int]) -> list[typing.Any]:
    """Return the rows as one array per column, text columns encoded, for an ``unnest`` upsert."""
    arrays: list[typing.Any] = list(zip(*chunk, strict=True))
    for index in text:
        arrays[index] = _utf8(arrays[index])
    return arrays


def _affected(status: str) -> int:
    """Return the row count of a command status such as ``DELETE 12``."""
    return int(status.rsplit(" ", 1)[-1])


async def _migrate(conn: _Connection) -> int:
    """Bring the database to ``SCHEMA_VERSION`` under an advisory lock; return the version it had."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", postgres_schema.MIGRATION_LOCK)
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {postgres_schema.VERSION_TABLE} (version INTEGER NOT NULL)")
        stored = await conn.fetchval(f"SELECT max(version) FROM {postgres_schema.VERSION_TABLE}")
        version = int(stored or 0)
        if version > postgres_schema.SCHEMA_VERSION:
            raise errors.RequestError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"database schema version {version} is newer than this server's {postgres_schema.SCHEMA_VERSION}",
            )
        for step in range(version, postgres_schema.SCHEMA_VERSION):
            await conn.execute(postgres_schema.MIGRATIONS[step])
        if version < postgres_schema.SCHEMA_VERSION:
            await conn.execute(f"DELETE FROM {postgres_schema.VERSION_TABLE}")
            await conn.execute(
                f"INSERT INTO {postgres_schema.VERSION_TABLE} (version) VALUES ($1)", postgres_schema.SCHEMA_VERSION
            )
            _LOGGER.info("migrated database schema from=%d to=%d", version, postgres_schema.SCHEMA_VERSION)
    return version


class _Statements:
    """The SQL of upserts and restores, built once from the column types the database reports."""

    def __init__(self, types: dict[str, dict[str, str]]) -> None:
        self.types = types
        self.upsert = {table: self._upsert(table, _COLUMNS[table]) for table in _ENTITY_TABLES}
        tables = schema.CACHE_TABLES
        self.boolean = {table: self._indexes(table, snapshots.columns(table), "boolean") for table in tables}
        self.text = {table: self._indexes(table, snapshots.columns(table), "bytea") for table in tables}
        """Text columns (``BYTEA`` of UTF-8) by their place in a snapshot file's rows."""
        self.row_text = {table: self._indexes(table, _COLUMNS[table], "bytea") for table in _ENTITY_TABLES}
        """Text columns by their place in ``rows``' rows."""

    def _indexes(self, table: str, columns: collections.abc.Sequence[str], kind: str) -> list[int]:
        return [index for index, column in enumerate(columns) if column != "data" and self.types[table][column] == kind]

    def _upsert(self, table: str, columns: tuple[str, ...]) -> str:
        arrays = ", ".join(f"${n}::{self.types[table][column]}[]" for n, column in enumerate(columns, 1))
        keys = _KEYS[table]
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column not in keys)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )


async def _column_types(conn: _Connection) -> dict[str, dict[str, str]]:
    records = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
        list(schema.CACHE_TABLES),
    )
    types: dict[str, dict[str, str]] = {table: {} for table in schema.CACHE_TABLES}
    for record in records:
        types[record["table_name"]][record["column_name"]] = record["data_type"]
    return types


class PostgresTransaction:
    """The writes of one PostgreSQL transaction, on the writer's connection."""

    def __init__(self, conn: _Connection, statements: _Statements, session_ttl: float) -> None:
        self._conn = conn
        self._statements = statements
        self._session_ttl = session_ttl

    async def upsert(
        self, table: str, rows: collections.abc.Sequence[rows.Row], role_ids: collections.abc.Sequence[typing.Any]
    ) -> None:
        """Write the rows in key order (so servers writing the same rows lock them in one order)."""
        conn = self._conn
        if table != "members":
            # One statement may not touch a key twice: the last of equal keys wins, as applied in turn.
            latest = sorted({row[0]: row for row in rows}.items())
            for start in range(0, len(latest), _UPSERT_CHUNK):
                chunk = [row for _, row in latest[start : start + _UPSERT_CHUNK]]
                await conn.execute(self._statements.upsert[table], *_arrays(chunk, self._statements.row_text[table]))
            return
        members: list[tuple[tuple[typing.Any, typing.Any], tuple[typing.Any, typing.Any]]] = sorted(
            {(row[0], row[1]): (row, ids) for row, ids in zip(rows, role_ids, strict=True)}.items(),
            key=lambda item: item[0],
        )
        for start in range(0, len(members), _UPSERT_CHUNK):
            part = members[start : start + _UPSERT_CHUNK]
            guild_ids = [key[0] for key, _ in part]
            user_ids = [key[1] for key, _ in part]
            await conn.execute(
                "DELETE FROM member_roles WHERE (guild_id, user_id) IN"
                " (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
                guild_ids,
                user_ids,
            )
            member_rows = [row for _, (row, _) in part]
            await conn.execute(
                self._statements.upsert["members"], *_arrays(member_rows, self._statements.row_text["members"])
            )
            held = [(key[0], key[1], role_id) for key, (_, ids) in part for role_id in ids]
            if held:
                await conn.execute(
                    "INSERT INTO member_roles (guild_id, user_id, role_id)"
                    " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) ON CONFLICT DO NOTHING",
                    *zip(*held, strict=True),
                )

    async def delete_guild(self, guild_id: int) -> None:
        """Delete the guild's rows from every table."""
        await self._conn.execute("DELETE FROM guilds WHERE id = $1", guild_id)
        for table in ("channels", "members", "member_roles", "roles"):
            await self._conn.execute(f"DELETE FROM {table} WHERE guild_id = $1", guild_id)

    async def delete_channel(self, channel_id: int) -> None:
        """Delete the channel and its threads."""
        await self._conn.execute(
            f"DELETE FROM channels WHERE id = $1 OR (parent_id = $1 AND type IN ({_THREAD_TYPES_SQL}))", channel_id
        )

    async def delete_member(self, guild_id: int, user_id: int) -> None:
        """Delete the member and its role index entries."""
        await self._conn.execute("DELETE FROM members WHERE guild_id = $1 AND id = $2", guild_id, user_id)
        await self._conn.execute("DELETE FROM member_roles WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)

    async def delete_role(self, role_id: int, strip_role: collections.abc.Callable[[bytes, int], bytes]) -> None:
        """Delete the role, then rewrite each member that held it."""
        holders = await self._conn.fetch(
            "SELECT m.guild_id, m.id, m.data FROM member_roles r"
            " JOIN members m ON m.guild_id = r.guild_id AND m.id = r.user_id WHERE r.role_id = $1"
            " ORDER BY m.guild_id, m.id FOR UPDATE OF m",
            role_id,
        )
        if holders:
            await self._conn.executemany(
                "UPDATE members SET data = $1 WHERE guild_id = $2 AND id = $3",
                [(strip_role(data, role_id), guild_id, user_id) for guild_id, user_id, data in holders],
            )
        await self._conn.execute("DELETE FROM member_roles WHERE role_id = $1", role_id)
        await self._conn.execute("DELETE FROM roles WHERE id = $1", role_id)

    async def clear(self, tables: collections.abc.Sequence[str]) -> None:
        """Empty the tables (and the member role index with members)."""
        for table in tables:
            await self._conn.execute(f"DELETE FROM {table}")
            if table == "members":
                await self._conn.execute("DELETE FROM member_roles")

    async def prune(
        self, open_sessions: collections.abc.Collection[int], shard_id: int | None, shard_count: int | None
    ) -> engine.PruneCounts:
        """Delete rows no live session of any server wrote; the session table is read inside this transaction."""
        live = (
            "SELECT unnest($1::bigint[]) UNION ALL SELECT id FROM sessions"
            " WHERE closed_at IS NULL AND heartbeat_at > now() - make_interval(secs => $2)"
        )
        params: list[object] = [sorted(open_sessions), self._session_ttl]
        sharded = shard_count is not None and shard_id is not None
        if sharded:
            params += [shard_count, shard_id]
        counts: dict[str, int] = {}
        for table in _ENTITY_TABLES:
            guild_column = "id" if table == "guilds" else "guild_id"
            where = f"(session_id IS NULL OR session_id NOT IN ({live}))"
            if sharded:
                where += f" AND (({guild_column} >> 22) % $3) = $4"
            if table == "members":
                deleted = await self._conn.fetch(f"DELETE FROM members WHERE {where} RETURNING guild_id, id", *params)
                if deleted:
                    await self._conn.execute(
                        "DELETE FROM member_roles WHERE (guild_id, user_id) IN"
                        " (SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
                        [record[0] for record in deleted],
                        [record[1] for record in deleted],
                    )
                counts[table] = len(deleted)
                continue
            counts[table] = _affected(await self._conn.execute(f"DELETE FROM {table} WHERE {where}", *params))
        return engine.PruneCounts(**counts)

    async def open_session(self, peer: str) -> int:
        """Insert a live session row; ids come from one sequence, unique across every server."""
        session_id = await self._conn.fetchval(
            "INSERT INTO sessions (opened_at, heartbeat_at, peer) VALUES (now(), now(), $1) RETURNING id", peer
        )
        return int(session_id)

    async def resume_session(self, session_id: int, peer: str) -> bool:
        """Clear the session's end and mark it alive now, if the database knows the session."""
        status = await self._conn.execute(
            "UPDATE sessions SET closed_at = NULL, heartbeat_at = now(), peer = $1 WHERE id = $2", peer, session_id
        )
        return _affected(status) == 1

    async def close_session(self, session_id: int) -> None:
        """Stamp the session's end."""
        await self._conn.execute("UPDATE sessions SET closed_at = now() WHERE id = $1", session_id)


class PostgresEngine:
    """A PostgreSQL database shared with other Kura servers, and this server's connection pools."""

    name = "postgresql"
    schema_version = postgres_schema.SCHEMA_VERSION
    read_only_reason: str | None = None
    """Always writable: a role without write grants fails each write instead (not detected at start)."""

    def __init__(
        self,
        writer: asyncpg.Pool,
        readers: asyncpg.Pool,
        statements: _Statements,
        *,
        session_ttl: float,
        scan_readers: int,
    ) -> None:
        self._writer = writer
        self._readers = readers
        self._scans = asyncio.Semaphore(scan_readers)
        self._statements = statements
        self._session_ttl = session_ttl
        self.heartbeat_seconds: float | None = session_ttl / 6

    @classmethod
    async def open(
        cls, url: str, *, readers: int = 4, scan_readers: int | None = None, session_ttl: float = 30.0
    ) -> PostgresEngine:
        """Connect to the database at ``url``, migrating its schema as needed.

        Unindexed scans may hold ``scan_readers`` of the ``readers`` at once (``engine.scan_share``).
        Raises ``ConnectionError`` (an ``OSError``, which ``kura serve`` reports) when the
        database cannot be reached or refuses the login.
        """
        scans = engine.scan_share(readers, scan_readers)
        unreachable = (*_LOST, asyncpg.PostgresError)
        try:
            writer = await asyncpg.create_pool(url, min_size=1, max_size=1)
        except unreachable as exc:
            raise ConnectionError(f"cannot open PostgreSQL database {redacted(url)}: {exc}") from exc
        try:
            async with writer.acquire() as conn:
                await _migrate(conn)
                statements = _Statements(await _column_types(conn))
            reader_pool = await asyncpg.create_pool(url, min_size=1, max_size=readers)
        except unreachable as exc:
            await writer.close()
            raise ConnectionError(f"cannot open PostgreSQL database {redacted(url)}: {exc}") from exc
        except BaseException:
            await writer.close()
            raise
        _LOGGER.info(
            "opened database url=%s readers=%d scan_readers=%d session_ttl=%.1f",
            redacted(url),
            readers,
            scans,
            session_ttl,
        )
        return cls(writer, reader_pool, statements, session_ttl=session_ttl, scan_readers=scans)

    async def close(self) -> None:
        """Close both pools, letting running statements finish."""
        await self._readers.close()
        await self._writer.close()
        _LOGGER.info("closed database engine=postgresql")

    @contextlib.asynccontextmanager
    async def transaction(self) -> collections.abc.AsyncIterator[engine.Transaction]:
        """Begin a transaction on the writer's connection; commit, or roll back on error.

        A lost database fails the transaction with ``UNAVAILABLE``; the pool connects
        afresh for the next one, so writes resume once PostgreSQL is back.
        """
        try:
            async with self._writer.acquire() as conn, conn.transaction():
                yield PostgresTransaction(conn, self._statements, self._session_ttl)
        except _LOST as exc:
            raise errors.Unavailable(f"database unavailable: {exc}") from exc

    async def fetch(
        self, sql: str, params: collections.abc.Sequence[object], *, scan: bool = False
    ) -> list[typing.Any]:
        """Run one read statement on a pooled reader connection (``UNAVAILABLE`` if the database is lost).

        A scan first takes a place in the scans' share, kept until its connection is back in the pool.
        """
        # Every text a query filters on is a text column: BYTEA of UTF-8 here.
        values = [param.encode() if isinstance(param, str) else param for param in params]
        try:
            async with self._scans if scan else contextlib.nullcontext(), self._readers.acquire() as conn:
                return list(await conn.fetch(numbered(sql), *values))
        except _LOST as exc:
            raise errors.Unavailable(f"database unavailable: {exc}") from exc

    async def lookup(self, sql: str, params: collections.abc.Sequence[object]) -> list[typing.Any]:
        """Run a point get: as ``fetch`` (asyncpg already runs statements on the event loop, no thread hop)."""
        return await self.fetch(sql, params)

    async def counts(self) -> dict[str, int]:
        """Return how many objects of each kind are stored (counting reads whole tables: scans)."""
        async with self._scans, self._readers.acquire() as conn:
            return {table: int(await conn.fetchval(f"SELECT count(*) FROM {table}")) for table in _ENTITY_TABLES}

    async def database_bytes(self) -> int:
        """Return the size of the whole database, as PostgreSQL reports it."""
        async with self._readers.acquire() as conn:
            return int(await conn.fetchval("SELECT pg_database_size(current_database())"))

    def scrape_counter(self) -> collections.abc.Callable[[], tuple[dict[str, int], int]]:
        """Return a counter that runs the queries on this event loop, waiting from the calling thread."""
        loop = asyncio.get_running_loop()

        async def both() -> tuple[dict[str, int], int]:
            return await self.counts(), await self.database_bytes()

        def count() -> tuple[dict[str, int], int]:
            return asyncio.run_coroutine_threadsafe(both(), loop).result(timeout=10)

        return count

    async def close_stale_sessions(self) -> None:
        """Mark closed the sessions whose server stopped marking them alive; live servers' stay open."""
        async with self._readers.acquire() as conn:
            await conn.execute(
                "UPDATE sessions SET closed_at = now()"
                " WHERE closed_at IS NULL AND heartbeat_at <= now() - make_interval(secs => $1)",
                self._session_ttl,
            )

    async def heartbeat(self, session_ids: collections.abc.Collection[int]) -> None:
        """Mark this server's open sessions alive now."""
        if session_ids:
            async with self._readers.acquire() as conn:
                await conn.execute(
                    "UPDATE sessions SET heartbeat_at = now() WHERE id = ANY($1::bigint[])", sorted(session_ids)
                )

    def temporary_path(self, prefix: str) -> pathlib.Path:
        """Return a fresh file in the system's temporary directory."""
        fd, name = tempfile.mkstemp(prefix=f"kura-{prefix}-")
        os.close(fd)
        return pathlib.Path(name)

    async def snapshot(self) -> pathlib.Path:
        """Copy every cache table, read in one repeatable-read transaction, into a sealed snapshot file."""
        target = self.temporary_path("snapshot")
        target.unlink()
        try:
            file = await asyncio.to_thread(snapshots.create, target)
            try:
                async with (
                    self._readers.acquire() as conn,
                    conn.transaction(isolation="repeatable_read", readonly=True),
                ):
                    for table in schema.CACHE_TABLES:
                        columns = snapshots.columns(table)
                        insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})"
                        text = self._statements.text[table]
                        cursor = await conn.cursor(f"SELECT {', '.join(columns)} FROM {table}")
                        while batch := await cursor.fetch(10_000):
                            records = [list(record) for record in batch]
                            for record in records:
                                for index in text:
                                    if record[index] is not None:
                                        record[index] = record[index].decode()
                            await asyncio.to_thread(file.executemany, insert, records)
                await asyncio.to_thread(file.commit)
            finally:
                file.close()
            await asyncio.to_thread(snapshots.seal, target)
        except BaseException:
            snapshots.remove_files(target)
            raise
        return target

    async def restore(self, path: pathlib.Path, session_id: int | None) -> None:
        """Empty the cache tables and copy the validated snapshot's rows in, in one transaction."""
        async with self._writer.acquire() as conn, conn.transaction():
            await conn.execute(f"TRUNCATE {', '.join(schema.CACHE_TABLES)}")
            for table in schema.CACHE_TABLES:
                columns = snapshots.columns(table)
                session_index = columns.index("session_id") if "session_id" in columns else None
                flags = self._statements.boolean[table]
                text = self._statements.text[table]
                batches = snapshots.read_rows(path, table)
                while (batch := await asyncio.to_thread(next, batches, None)) is not None:
                    records = [list(row) for row in batch]
                    for record in records:
                        for index in flags:
                            if record[index] is not None:
                                record[index] = bool(record[index])
                        for index in text:
                            if record[index] is not None:
                                record[index] = record[index].encode()
                        if session_index is not None:
                            record[session_index] = session_id
                    await conn.copy_records_to_table(table, records=records, columns=columns)
