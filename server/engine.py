"""What a storage engine is: the interface the writer, the sessions and the RPC layer use.

Two engines implement it: SQLite (``sqlite_engine``, one file, the default) and
PostgreSQL (``postgres_engine``, shared by any number of Kura servers). Each keeps
the same tables: objects stored as their encoded protobuf messages beside the
columns queries filter on, so reads stream stored bytes in either engine.
Snapshots are SQLite files in both (``snapshots``), so one taken from either
engine restores into the other.
"""

from __future__ import annotations

import collections.abc
import contextlib
import dataclasses
import logging
import pathlib
import typing

from hikari_kura.server import rows

_LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True, frozen=True)
class PruneCounts:
    """How many objects of each kind a prune removed."""

    guilds: int
    channels: int
    members: int
    roles: int


class OpenError(Exception):
    """A database that cannot be served as it is; the message says why and what would fix it."""


def scan_share(readers: int, scan_readers: int | None) -> int:
    """Return how many readers unindexed scans may hold at once: ``scan_readers``, or half the readers (at least 1).

    A scan's statement may read a whole table for a page (``reads.Shape.scans``); below
    ``readers``, the share leaves indexed reads a reader however many scans clients start.
    """
    share = max(1, readers // 2) if scan_readers is None else scan_readers
    if not 0 < share <= readers:
        raise OpenError(f"--scan-readers is {share}: it must be between 1 and --readers ({readers})")
    if share == readers:
        _LOGGER.warning(
            "unindexed scans may hold all %d readers (--scan-readers, --readers): indexed reads wait behind them",
            readers,
        )
    return share


class Transaction(typing.Protocol):
    """The writes of one transaction of the engine's writer; nothing is visible before it commits."""

    async def upsert(
        self, table: str, rows: collections.abc.Sequence[rows.Row], role_ids: collections.abc.Sequence[typing.Any]
    ) -> None:
        """Insert or replace rows of one table (the last of equal keys wins); a member's roles are ``role_ids``."""

    async def delete_guild(self, guild_id: int) -> None:
        """Remove a guild and every channel, member and role it holds."""

    async def delete_channel(self, channel_id: int) -> None:
        """Remove a channel and the threads whose parent it is."""

    async def delete_member(self, guild_id: int, user_id: int) -> None:
        """Remove one membership and its role index entries."""

    async def delete_role(self, role_id: int, strip_role: collections.abc.Callable[[bytes, int], bytes]) -> None:
        """Remove a role and rewrite each member that held it with ``strip_role``."""

    async def clear(self, tables: collections.abc.Sequence[str]) -> None:
        """Remove every object of the named tables."""

    async def prune(
        self, open_sessions: collections.abc.Collection[int], shard_id: int | None, shard_count: int | None
    ) -> PruneCounts:
        """Remove every object no live session wrote (this server's ``open_sessions`` and, when shared, others')."""

    async def open_session(self, peer: str) -> int:
        """Record a new write session and return its id, unique for the life of the database."""

    async def resume_session(self, session_id: int, peer: str) -> bool:
        """Mark a known session open again for ``peer`` (a client reconnected); False if it is unknown."""

    async def close_session(self, session_id: int) -> None:
        """Record that a session ended."""


class Engine(typing.Protocol):
    """One open database: the writer's transactions, the readers, snapshot and restore."""

    name: str
    """``sqlite`` or ``postgresql``, for logs and stats."""
    schema_version: int
    """The schema version of the database this engine opened (each engine counts its own migrations)."""
    heartbeat_seconds: float | None
    """How often open sessions must be marked alive for other servers to see them; None: no other servers."""
    read_only_reason: str | None
    """Why the database takes no writes (a read-only file or location, or ``--read-only``); None: it takes them."""

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """Begin one write transaction: committed when the block ends, rolled back if it raises."""

    async def restore(self, path: pathlib.Path, session_id: int | None) -> None:
        """Replace every cached object with a validated snapshot file's, atomically."""

    async def fetch(
        self, sql: str, params: collections.abc.Sequence[object], *, scan: bool = False
    ) -> list[typing.Any]:
        """Run one read statement (``?`` placeholders) and return its rows as sequences.

        A ``scan`` (a statement no index bounds) waits for the scans' share of the readers.
        Cancelling the caller stops the statement in the database and gives its reader back.
        """

    async def lookup(self, sql: str, params: collections.abc.Sequence[object]) -> list[typing.Any]:
        """Like ``fetch``, for a statement that reads one row at most by a unique key (a point get)."""

    async def counts(self) -> dict[str, int]:
        """Return how many objects of each kind are stored."""

    async def snapshot(self) -> pathlib.Path:
        """Write a consistent, sealed snapshot file of the whole cache to a temporary path and return it."""

    def temporary_path(self, prefix: str) -> pathlib.Path:
        """Return a fresh temporary file path for snapshots and restores."""

    async def database_bytes(self) -> int:
        """Return how many bytes the database takes."""

    def scrape_counter(self) -> collections.abc.Callable[[], tuple[dict[str, int], int]]:
        """Return a function another thread may call for ``counts()`` and ``database_bytes()`` (metrics)."""

    async def close_stale_sessions(self) -> None:
        """Mark closed the sessions no server keeps alive any more (left by a stop or a crash)."""

    async def heartbeat(self, session_ids: collections.abc.Collection[int]) -> None:
        """Mark this server's open sessions alive now."""

    async def close(self) -> None:
        """Close every connection."""
