"""Write sessions: which clients are connected now, so prune keeps what they wrote.

A session lives as long as its client's write stream. Its id is a row of the
``sessions`` table (written through the writer, in order with everything else),
so ids never repeat across restarts and a row stamped with an open session's id
was written by that client since it connected.

A client that lost its stream (the server restarted, the network dropped) may
resume its session on a new stream: the session stays the same, so what it wrote
before the break still counts as fresh. A session may be open on two streams for
a moment (the old one not yet noticed gone), so it closes when its last stream does.
"""

from __future__ import annotations

import collections
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
class _ResumeSession:
    session_id: int
    peer: str

    async def apply(self, conn: aiosqlite.Connection) -> bool:
        cursor = await conn.execute(
            "UPDATE sessions SET closed_at = NULL, peer = ? WHERE id = ?", (self.peer, self.session_id)
        )
        return cursor.rowcount == 1


@dataclasses.dataclass(slots=True, frozen=True)
class _CloseSession:
    session_id: int

    async def apply(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE sessions SET closed_at = ? WHERE id = ?", (time.time(), self.session_id))


class Sessions:
    """The open write sessions of this server."""

    def __init__(self, writer: writer_.Writer) -> None:
        self._writer = writer
        self._open: collections.Counter[int] = collections.Counter()
        """Open sessions and how many streams each is open on."""

    @staticmethod
    async def close_stale(conn: aiosqlite.Connection) -> None:
        """Mark closed every session a previous run left open: their streams are gone."""
        await conn.execute("UPDATE sessions SET closed_at = ? WHERE closed_at IS NULL", (time.time(),))

    async def open(self, peer: str, *, resume: int | None = None) -> int:
        """Open a session for ``peer`` and return its id: ``resume``'s, when the database knows that session."""
        if resume is not None:
            self._open[resume] += 1  # before the write, so an old stream's close meanwhile keeps it open
            try:
                resumed = await (await self._writer.submit(_ResumeSession(resume, peer)))
            except BaseException:
                self._release(resume)
                raise
            if resumed:
                _LOGGER.info("session resumed session_id=%d peer=%s streams=%d", resume, peer, self._open[resume])
                return resume
            self._release(resume)
            _LOGGER.info("session to resume is unknown, opening a new one session_id=%d peer=%s", resume, peer)
        session_id = await (await self._writer.submit(_OpenSession(peer)))
        assert isinstance(session_id, int)
        self._open[session_id] += 1
        _LOGGER.info("session opened session_id=%d peer=%s", session_id, peer)
        return session_id

    def _release(self, session_id: int) -> bool:
        """Take one stream from a session; return True when that was its last."""
        self._open[session_id] -= 1
        if self._open[session_id] > 0:
            return False
        del self._open[session_id]
        return True

    async def close(self, session_id: int) -> None:
        """Close one stream of a session; when it was the last, what the session wrote becomes stale for prune."""
        if not self._release(session_id):
            _LOGGER.info("session stream closed, session still open session_id=%d", session_id)
            return
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
