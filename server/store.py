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
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.execute(f"PRAGMA synchronous = {synchronous}")
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
        """Write a consistent copy of the database to a temporary file and return its path."""
        target = self.temporary_path("snapshot")
        target.unlink()  # VACUUM INTO wants to create the file itself
        conn = await _connect(self.path)
        try:
            await conn.execute("VACUUM INTO ?", (str(target),))
        finally:
            await conn.close()
        return target


async def validate_snapshot(path: pathlib.Path) -> dict[str, int]:
    """Check a snapshot file thoroughly and bring it to the current schema; return its counts.

    Raises ``InvalidArgument`` for anything that is not an intact Kura snapshot
    and ``FAILED_PRECONDITION`` for one of a newer schema. Only the file is
    touched: the cache itself is not.
    """
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise errors.InvalidArgument("snapshot", "not a SQLite database file")
    try:
        conn = await _connect(path, synchronous="OFF")
    except sqlite3.Error as exc:
        raise errors.InvalidArgument("snapshot", f"cannot be opened: {exc}") from exc
    try:
        ((check,), *_) = await conn.execute_fetchall("PRAGMA integrity_check")
        if check != "ok":
            raise errors.InvalidArgument("snapshot", f"corrupt: {check}")
        ((app_id,),) = await conn.execute_fetchall("PRAGMA application_id")
        if app_id != schema.APPLICATION_ID:
            raise errors.InvalidArgument("snapshot", "not a Kura snapshot (wrong application id)")
        await migrate(conn)
        counts = {}
        for table, message_type in _MESSAGE_TYPES.items():
            count = 0
            async with conn.execute(f"SELECT data FROM {table}") as cursor:
                async for (data,) in cursor:
                    message_type.FromString(data)
                    count += 1
            counts[table] = count
        return counts
    except errors.RequestError:
        raise
    except Exception as exc:  # sqlite3.DatabaseError, protobuf DecodeError, a missing table, ...
        raise errors.InvalidArgument("snapshot", f"not an intact Kura snapshot: {exc}") from exc
    finally:
        await conn.close()


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
