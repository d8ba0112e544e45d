"""Snapshot files: the one format both engines write and restore, a sealed SQLite database.

A snapshot is a SQLite file with the cache tables at a schema version and a digest
of their content, so restore tells an intact copy from a damaged one. The SQLite
engine makes one with ``VACUUM INTO``, the PostgreSQL engine by copying its rows
into a fresh file; either restores into either engine.
"""

from __future__ import annotations

import asyncio
import collections.abc
import functools
import hashlib
import pathlib
import sqlite3
import typing

import grpc

from hikari_kura.server import errors, schema
from hikari_kura.v1 import channels_pb2, guilds_pb2, members_pb2, roles_pb2

SQLITE_HEADER: typing.Final = b"SQLite format 3\x00"
_MESSAGE_TYPES: typing.Final[dict[str, typing.Any]] = {
    "guilds": guilds_pb2.Guild,
    "channels": channels_pb2.GuildChannel,
    "members": members_pb2.Member,
    "roles": roles_pb2.Role,
}


def remove_files(path: pathlib.Path) -> None:
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


def seal(path: pathlib.Path) -> None:
    """Store the digest of a fresh snapshot file's content inside it; restore refuses files without one.

    A database served from a copy of a snapshot file still holds that snapshot's digest table, and
    ``VACUUM INTO`` copies it along: the old digest is replaced, it says nothing about this content.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        digest = _content_digest(conn)
        conn.execute("BEGIN")
        conn.execute(f"DROP TABLE IF EXISTS {SNAPSHOT_TABLE}")
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


async def validate(path: pathlib.Path) -> dict[str, int]:
    """Check a snapshot file thoroughly and bring it to the current schema; return its counts.

    Raises ``InvalidArgument`` for anything that is not an intact Kura snapshot
    (not SQLite, cut short, corrupt, another schema, unsealed) and
    ``FAILED_PRECONDITION`` for one of a newer schema. Only the file is
    touched: the cache itself is not.
    """
    return await asyncio.to_thread(_validate_snapshot, path)


def create(path: pathlib.Path) -> sqlite3.Connection:
    """Create an empty snapshot file at ``path`` with the current schema; return a connection to fill it."""
    # Filled from another thread than the one that made it, one batch at a time, committed once at the end.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.executescript(f"BEGIN;\n{schema.migration_script(0)}\nCOMMIT;")
    conn.isolation_level = "DEFERRED"
    return conn


def columns(table: str) -> list[str]:
    """Return the columns of a cache table at the current schema version, in order."""
    return list(_expected_columns()[table])


def read_rows(
    path: pathlib.Path, table: str, *, batch: int = 10_000
) -> collections.abc.Iterator[list[tuple[typing.Any, ...]]]:
    """Yield a validated snapshot's rows of ``table`` (every current column, in order), a batch at a time."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        cursor = conn.execute(f"SELECT {', '.join(columns(table))} FROM {table}")
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        conn.close()
