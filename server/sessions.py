"""Write sessions: which clients are connected now, so prune keeps what they wrote.

A session lives as long as its client's write stream. Its id is a row of the
``sessions`` table (written through the writer, in order with everything else),
so ids never repeat across restarts and a row stamped with an open session's id
was written by that client since it connected.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import aiosqlite

from hikari_kura.server import writer as writer_

_LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True, frozen=True)
class _OpenSession:
    peer: str

    async def apply(self, conn: aiosqlite.Connection) -> int:
        cursor = await conn.execute("INSERT INTO sessions (opened_at, peer) VALUES (?, ?)", (time.time(), self.peer))
        assert cursor.lastrowid is not None
        return cursor.lastrowid


@dataclasses.dataclass(slots=True, frozen=True)
class _CloseSession:
    session_id: int

    async def apply(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE sessions SET closed_at = ? WHERE id = ?", (time.time(), self.session_id))


class Sessions:
    """The open write sessions of this server."""

    def __init__(self, writer: writer_.Writer) -> None:
        self._writer = writer
        self._open: set[int] = set()

    @staticmethod
    async def close_stale(conn: aiosqlite.Connection) -> None:
        """Mark closed every session a previous run left open: their streams are gone."""
        await conn.execute("UPDATE sessions SET closed_at = ? WHERE closed_at IS NULL", (time.time(),))

    async def open(self, peer: str) -> int:
        """Open a session for ``peer`` and return its id."""
        session_id = await (await self._writer.submit(_OpenSession(peer)))
        assert isinstance(session_id, int)
        self._open.add(session_id)
        _LOGGER.info("session opened session_id=%d peer=%s", session_id, peer)
        return session_id

    async def close(self, session_id: int) -> None:
        """Close a session; what it wrote becomes stale for prune."""
        self._open.discard(session_id)
        _LOGGER.info("session closed session_id=%d", session_id)
        try:
            await self._writer.submit(_CloseSession(session_id))
        except Exception:  # the server is stopping: close_stale marks it at next start
            _LOGGER.debug("session close not recorded session_id=%d", session_id, exc_info=True)

    def open_ids(self) -> frozenset[int]:
        """Return the ids of the open sessions."""
        return frozenset(self._open)

    def __len__(self) -> int:
        return len(self._open)
