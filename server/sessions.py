"""Write sessions: which clients are connected now, so prune keeps what they wrote.

A session lives as long as its client's write stream. Its id is a row of the
``sessions`` table (written through the writer, in order with everything else),
so ids never repeat across restarts and a row stamped with an open session's id
was written by that client since it connected. Where several servers share one
database, each marks its open sessions alive on a heartbeat, so every server's
prune sees them and a crashed server's sessions expire.

A client that lost its stream (the server restarted, the network dropped) may
resume its session on a new stream: the session stays the same, so what it wrote
before the break still counts as fresh. A session may be open on two streams for
a moment (the old one not yet noticed gone), so it closes when its last stream does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging

from hikari_kura.server import engine
from hikari_kura.server import writer as writer_

_LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True, frozen=True)
class _OpenSession:
    peer: str

    async def apply(self, tx: engine.Transaction) -> int:
        return await tx.open_session(self.peer)


@dataclasses.dataclass(slots=True, frozen=True)
class _ResumeSession:
    session_id: int
    peer: str

    async def apply(self, tx: engine.Transaction) -> bool:
        return await tx.resume_session(self.session_id, self.peer)


@dataclasses.dataclass(slots=True, frozen=True)
class _CloseSession:
    session_id: int

    async def apply(self, tx: engine.Transaction) -> None:
        await tx.close_session(self.session_id)


class Sessions:
    """The open write sessions of this server."""

    def __init__(self, writer: writer_.Writer, db: engine.Engine) -> None:
        self._writer = writer
        self._engine = db
        self._open: collections.Counter[int] = collections.Counter()
        """Open sessions and how many streams each is open on."""
        self._heartbeat: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start marking open sessions alive, if the engine is shared with other servers."""
        if self._engine.heartbeat_seconds is not None:
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._beat(self._engine.heartbeat_seconds), name="kura-session-heartbeat"
            )

    async def stop(self) -> None:
        """Stop the heartbeat."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None

    async def _beat(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self._engine.heartbeat(frozenset(self._open))
            except Exception:  # the database is away for now: try again next beat
                _LOGGER.warning("session heartbeat failed sessions=%d", len(self._open), exc_info=True)

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
        except Exception:  # the server is stopping: close_stale_sessions marks it at next start
            _LOGGER.debug("session close not recorded session_id=%d", session_id, exc_info=True)

    def open_ids(self) -> frozenset[int]:
        """Return the ids of the open sessions."""
        return frozenset(self._open)

    def __len__(self) -> int:
        return len(self._open)
