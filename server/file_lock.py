"""One server per SQLite file: an ``flock`` on a lock file beside the database, held for the server's life.

A server that writes the file holds the lock exclusively; read-only servers hold it shared, so any
number of them may serve one file, but never beside a server that writes it (a read-only server
assumes that nobody changes the file under it: it may open it ``immutable``). The kernel drops an
``flock`` when its holder dies, so a crashed server never blocks the next start.

The last holder removes the lock file while it still holds the lock; whoever opened the old file in
the meantime sees, once it gets the lock, that the path no longer names that file, and tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pathlib

_LOGGER = logging.getLogger(__name__)


class LockedError(Exception):
    """Another server holds the database's lock; the message says which kind of server and what to do."""


def lock_path(database: pathlib.Path) -> pathlib.Path:
    """Return the lock file of a database: ``kura.sqlite3.lock`` beside ``kura.sqlite3``."""
    return database.with_name(database.name + ".lock")


class DatabaseLock:
    """A held lock on one database; ``release`` lets it go (and removes the lock file if no one else holds it)."""

    def __init__(self, path: pathlib.Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, database: pathlib.Path, *, shared: bool) -> DatabaseLock:
        """Take the lock of ``database`` without waiting: exclusive to write it, ``shared`` to serve it read-only.

        A read-only server in a location it cannot write takes the lock file if one is there and
        otherwise serves without one: nothing there can create it, nor a server that writes it.
        """
        path = lock_path(database)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                if not shared:
                    raise
                try:
                    fd = os.open(path, os.O_RDONLY)
                except FileNotFoundError:
                    _LOGGER.info("serving database %s without a lock: its location cannot be written", database)
                    return cls(path, None)
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise LockedError(_refusal(database, path, shared=shared)) from None
            except BaseException:
                os.close(fd)
                raise
            if _names(path, fd):
                return cls(path, fd)
            os.close(fd)  # the last holder removed it after we opened it: lock the file at the path now

    def release(self) -> None:
        """Let the lock go; the last holder removes the lock file first."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # shared holders: only the last one gets it
                with contextlib.suppress(OSError):  # a read-only location: the file stays, unlocked
                    self.path.unlink()
        finally:
            os.close(fd)


def _names(path: pathlib.Path, fd: int) -> bool:
    """Return whether ``path`` still names the file open as ``fd``."""
    try:
        at_path = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (at_path.st_dev, at_path.st_ino) == (held.st_dev, held.st_ino)


def _refusal(database: pathlib.Path, path: pathlib.Path, *, shared: bool) -> str:
    if shared:
        return (
            f"database {database} is open in a Kura server that writes it (it holds {path}): a read-only server "
            "shares a file only with other read-only servers; serve a snapshot of it instead"
        )
    return (
        f"database {database} is already served by another Kura server (it holds {path}): one server per "
        "SQLite file; stop that one first, or serve several from PostgreSQL"
    )
