"""The SQLite database: opening and migrating it, the reader pool, snapshot and restore.

One connection writes (owned by the writer); a small pool of read-only
connections serves queries. WAL journaling lets readers run while the writer
commits, so reads never wait for writes.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
import pathlib
import sqlite3
import tempfile
import typing

import aiosqlite
import grpc

from hikari_kura.server import errors, schema
from hikari_kura.v1 import channels_pb2, guilds_pb2, members_pb2, roles_pb2

_LOGGER = logging.getLogger(__name__)

SQLITE_HEADER: typing.Final = b"SQLite format 3\x00"
_MESSAGE_TYPES: typing.Final[dict[str, typing.Any]] = {
    "guilds": guilds_pb2.Guild,
    "channels": channels_pb2.GuildChannel,
    "members": members_pb2.Member,
    "roles": roles_pb2.Role,
}
SYNCHRONOUS_MODES: typing.Final = ("OFF", "NORMAL", "FULL", "EXTRA")


async def _connect(path: pathlib.Path | str, *, synchronous: str = "FULL") -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        await conn.close()  # its thread would otherwise keep the process alive
        raise
    return conn


async def migrate(conn: aiosqlite.Connection) -> int:
    """Bring a database to ``SCHEMA_VERSION`` in one transaction; return the version it had."""
    ((version,),) = await conn.execute_fetchall("PRAGMA user_version")
    if version > schema.SCHEMA_VERSION:
        raise errors.RequestError(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"database schema version {version} is newer than this server's {schema.SCHEMA_VERSION}",
        )
    if version < schema.SCHEMA_VERSION:
        await conn.executescript(f"BEGIN;\n{schema.migration_script(version)}\nCOMMIT;")
        _LOGGER.info("migrated database schema from=%d to=%d", version, schema.SCHEMA_VERSION)
    return int(version)


class Store:
    """The cache database file and its connections."""

    def __init__(self, path: pathlib.Path, writer_conn: aiosqlite.Connection, readers: list[aiosqlite.Connection]):
        self.path = path
        self.writer_conn = writer_conn
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers = readers
        for reader in readers:
            self._readers.put_nowait(reader)

    @classmethod
    async def open(cls, path: pathlib.Path, *, readers: int = 4, synchronous: str = "FULL") -> Store:
        """Open (creating and migrating as needed) the database at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer_conn = await _connect(path, synchronous=synchronous)
        try:
            ((mode,),) = await writer_conn.execute_fetchall("PRAGMA journal_mode = WAL")
            if mode != "wal":
                raise RuntimeError(f"{path}: cannot use WAL journaling (got {mode})")
            ((app_id,),) = await writer_conn.execute_fetchall("PRAGMA application_id")
            ((version,),) = await writer_conn.execute_fetchall("PRAGMA user_version")
            if version and app_id != schema.APPLICATION_ID:
                raise RuntimeError(f"{path}: not a Kura database")
            await migrate(writer_conn)
            reader_conns = []
            for _ in range(readers):
                reader = await _connect(path, synchronous=synchronous)
                await reader.execute("PRAGMA query_only = 1")
                reader_conns.append(reader)
        except BaseException:
            await writer_conn.close()
            raise
        _LOGGER.info("opened database path=%s readers=%d synchronous=%s", path, readers, synchronous)
        return cls(path, writer_conn, reader_conns)

    async def close(self) -> None:
        """Checkpoint the WAL into the database file and close every connection."""
        for reader in self._all_readers:
            await reader.close()
        with contextlib.suppress(sqlite3.Error):
            await self.writer_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await self.writer_conn.close()
        _LOGGER.info("closed database path=%s", self.path)

    async def fetch(self, sql: str, params: collections.abc.Sequence[object]) -> list[typing.Any]:
        """Run one read statement on a pooled reader connection."""
        reader = await self._readers.get()
        try:
            return list(await reader.execute_fetchall(sql, params))
        finally:
            self._readers.put_nowait(reader)

    async def counts(self) -> dict[str, int]:
        """Return how many objects of each kind are stored."""
        result = {}
        for table in ("guilds", "channels", "members", "roles"):
            ((count,),) = await self.fetch(f"SELECT count(*) FROM {table}", ())
            result[table] = int(count)
        return result

    def temporary_path(self, prefix: str) -> pathlib.Path:
        """Return a fresh file path beside the database (same filesystem, so no cross-device copies)."""
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.{prefix}-", dir=self.path.parent)
        os.close(fd)
        return pathlib.Path(name)

    async def snapshot(self) -> pathlib.Path:
        """Write a consistent, sealed copy of the database to a temporary file and return its path."""
        target = self.temporary_path("snapshot")
        target.unlink()  # VACUUM INTO wants to create the file itself
        try:
            conn = await _connect(self.path)
            try:
                await conn.execute("VACUUM INTO ?", (str(target),))
            finally:
                await conn.close()
            await asyncio.to_thread(seal_snapshot, target)
        except BaseException:
            remove_database_files(target)
            raise
        return target


def remove_database_files(path: pathlib.Path) -> None:
    """Remove a temporary database file and whatever journal SQLite left beside it."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


SNAPSHOT_TABLE: typing.Final = "kura_snapshot"
"""A table only snapshot files have: the digest of their content, so restore tells an intact copy from a
damaged one (SQLite's own integrity check sees broken structure, not a changed byte inside a row)."""


def _content_digest(conn: sqlite3.Connection) -> bytes:
    """Return the SHA-256 of every row of every cache table, in key order."""
    digest = hashlib.sha256()
    for table in schema.CACHE_TABLES:
        info = conn.execute(f"PRAGMA table_info({table})").fetchall()
        if not info:
            continue  # a missing table is for the schema check to report, with its name
        key = [row[1] for row in sorted((row for row in info if row[5]), key=lambda row: row[5])]
        columns = [row[1] for row in info if row[1] != "data"]
        # The message bytes go in as they are, after their length: far cheaper than their repr.
        blob = ", data" if len(columns) < len(info) else ", NULL"
        digest.update(f"\0{table}\0".encode())
        update = digest.update
        for *values, data in conn.execute(
            f"SELECT {', '.join(columns)}{blob} FROM {table} ORDER BY {', '.join(key) or 'rowid'}"
        ):
            update(repr(values).encode())
            update(repr(data).encode() if type(data) is not bytes else b"%d:%b" % (len(data), data))
            update(b"\n")
    return digest.digest()


def seal_snapshot(path: pathlib.Path) -> None:
    """Store the digest of a fresh snapshot file's content inside it; restore refuses files without one."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        digest = _content_digest(conn)
        conn.execute("BEGIN")
        conn.execute(f"CREATE TABLE {SNAPSHOT_TABLE} (content_sha256 BLOB NOT NULL)")
        conn.execute(f"INSERT INTO {SNAPSHOT_TABLE} (content_sha256) VALUES (?)", (digest,))
        conn.execute("COMMIT")
    finally:
        conn.close()


@functools.cache
def _expected_columns() -> dict[str, list[str]]:
    """Return the columns of each cache table at the current schema version."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.executescript(schema.migration_script(0))
        return {table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")] for table in schema.CACHE_TABLES}
    finally:
        conn.close()


def _refuse(reason: str) -> errors.InvalidArgument:
    return errors.InvalidArgument("snapshot", reason)


def _check_size(path: pathlib.Path) -> None:
    """Refuse a file that is not SQLite, or whose size is not the one its header gives (cut short or padded)."""
    size = path.stat().st_size
    with path.open("rb") as file:
        header = file.read(100)
    if header[: len(SQLITE_HEADER)] != SQLITE_HEADER:
        raise _refuse("not a SQLite database file" if size else "empty file: not a SQLite database file")
    if len(header) < 100:
        raise _refuse(f"truncated: {size} bytes, shorter than a SQLite header")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    # The header's page count is current when its "version valid for" matches the change counter.
    if page_count and header[92:96] == header[24:28]:
        expected = page_count * page_size
        if size < expected:
            raise _refuse(f"truncated: {size} bytes where its header says {expected}")
        if size > expected:
            raise _refuse(f"corrupt: {size - expected} bytes past the end its header gives ({expected} bytes)")
    elif page_size < 512 or size % page_size:
        raise _refuse(f"truncated: {size} bytes is not a whole number of {page_size}-byte pages")


def _validate_snapshot(path: pathlib.Path) -> dict[str, int]:
    _check_size(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise _refuse(f"cannot be opened: {exc}") from exc
    try:
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
        except sqlite3.DatabaseError as exc:
            raise _refuse(f"corrupt: {exc}") from exc
        if problems != ["ok"]:
            raise _refuse(f"corrupt: {'; '.join(problems)}")
        ((app_id,),) = conn.execute("PRAGMA application_id").fetchall()
        if app_id != schema.APPLICATION_ID:
            raise _refuse(f"not a Kura snapshot (application_id {app_id:#x}, Kura's is {schema.APPLICATION_ID:#x})")
        ((version,),) = conn.execute("PRAGMA user_version").fetchall()
        if version > schema.SCHEMA_VERSION:
            raise errors.RequestError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"snapshot: schema version {version} is newer than this server's {schema.SCHEMA_VERSION}:"
                " restore it with a newer Kura server",
            )
        if version < 1:
            raise _refuse("not a Kura snapshot (it has no schema version)")
        try:
            ((stored_digest,),) = conn.execute(f"SELECT content_sha256 FROM {SNAPSHOT_TABLE}").fetchall()
        except (sqlite3.Error, ValueError) as exc:
            raise _refuse("has no content checksum: not a file written by Kura's Snapshot") from exc
        if stored_digest != _content_digest(conn):
            raise _refuse("corrupt: its content does not match the checksum written with it")
        if version < schema.SCHEMA_VERSION:
            conn.executescript(f"BEGIN;\n{schema.migration_script(version)}\nCOMMIT;")
        for table, expected in _expected_columns().items():
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            if columns != expected:
                raise _refuse(f"not a Kura snapshot: table {table} has columns {columns}, expected {expected}")
        counts = {}
        for table, message_type in _MESSAGE_TYPES.items():
            count = 0
            key = "guild_id, id" if table == "members" else "id"
            for *ids, data in conn.execute(f"SELECT {key}, data FROM {table}"):
                try:
                    message_type.FromString(data)
                except Exception as exc:
                    name = message_type.DESCRIPTOR.name
                    raise _refuse(f"corrupt: {table} row {', '.join(map(str, ids))} is not a {name} message") from exc
                count += 1
            counts[table] = count
        return counts
    except errors.RequestError:
        raise
    except Exception as exc:  # sqlite3.DatabaseError, protobuf DecodeError, ...
        raise _refuse(f"not an intact Kura snapshot: {exc}") from exc
    finally:
        conn.close()


async def validate_snapshot(path: pathlib.Path) -> dict[str, int]:
    """Check a snapshot file thoroughly and bring it to the current schema; return its counts.

    Raises ``InvalidArgument`` for anything that is not an intact Kura snapshot
    (not SQLite, cut short, corrupt, another schema, unsealed) and
    ``FAILED_PRECONDITION`` for one of a newer schema. Only the file is
    touched: the cache itself is not.
    """
    return await asyncio.to_thread(_validate_snapshot, path)


@dataclasses.dataclass(slots=True, frozen=True)
class Restore:
    """Replace every cached object with a validated snapshot's, in one transaction."""

    path: pathlib.Path
    session_id: int | None
    """Restored rows count as written by this session (none: stale at the next prune)."""
    exclusive: typing.Literal[True] = True

    async def apply(self, conn: aiosqlite.Connection) -> None:
        """Attach the snapshot, copy its tables over ours, detach."""
        await conn.execute("ATTACH DATABASE ? AS snapshot", (str(self.path),))
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for table in schema.CACHE_TABLES:
                    columns = [row[1] for row in await conn.execute_fetchall(f"PRAGMA main.table_info({table})")]
                    selected = ["?" if column == "session_id" else column for column in columns]
                    params = (self.session_id,) if "session_id" in columns else ()
                    await conn.execute(f"DELETE FROM main.{table}")
                    await conn.execute(
                        f"INSERT INTO main.{table} ({', '.join(columns)})"
                        f" SELECT {', '.join(selected)} FROM snapshot.{table}",
                        params,
                    )
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
        finally:
            await conn.execute("DETACH DATABASE snapshot")
