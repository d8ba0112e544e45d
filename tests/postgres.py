"""A real PostgreSQL server for the tests: a throwaway cluster on a loopback port, and a database per test.

The cluster lives in a temporary directory for one test session. PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` user that
Debian's package creates. Missing binaries fail the tests (never skip them):
CI installs Debian's ``postgresql`` package. The cluster runs with ``fsync=off``:
it is thrown away at the end, and crash durability is tested on SQLite's file.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import typing

import asyncpg

_USER: typing.Final = "kura"
_NUMBERS = itertools.count(1)


def bin_dir() -> pathlib.Path:
    """Return the directory of ``initdb`` and ``postgres``, or raise with how to install them."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if candidates:
        return pathlib.Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return pathlib.Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, postgres) not found: the PostgreSQL engine's tests need a real server. "
        "Install Debian's package as root: apt-get install postgresql (.ci/run does)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_SETTINGS: typing.Final = ("listen_addresses=127.0.0.1", "fsync=off", "full_page_writes=off", "max_connections=300")


@dataclasses.dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary directory, served on 127.0.0.1:``port``."""

    directory: pathlib.Path
    binaries: pathlib.Path
    port: int
    owner: dict[str, typing.Any]
    """``subprocess`` arguments that run the server as the ``postgres`` user, when we are root."""
    process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        """Return the URL of a database of this server."""
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """Create a fresh empty database and return its URL."""
        name = f"kura_{os.getpid()}_{next(_NUMBERS)}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        """Drop a database made by ``create_database``, closing whatever still uses it."""
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
        finally:
            await conn.close()

    def run(self) -> None:
        """Start the server and wait until it accepts connections."""
        settings = [arg for setting in _SETTINGS for arg in ("-c", setting)]
        command = [self.binaries / "postgres", "-D", self.directory / "data", "-p", str(self.port)]
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "-k", self.directory, *settings],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                **self.owner,
            )
        ready = [self.binaries / "pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-U", _USER]
        deadline = time.monotonic() + 60
        while subprocess.run(ready, capture_output=True).returncode != 0:
            if self.process.poll():  # an error status (a reaped child reads as 0: keep waiting)
                raise RuntimeError(f"PostgreSQL did not start:\n{(self.directory / 'server.log').read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not accept connections within 60 s")
            time.sleep(0.1)

    def halt(self) -> None:
        """Shut the server down fast; its data stays, so ``run`` starts it again.

        The server's own lock file says when it is down: another part of the test process may
        reap our children (``wait`` then returns at once), so the exit status is not trusted.
        """
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        deadline = time.monotonic() + 30
        while (self.directory / "data" / "postmaster.pid").exists():
            if time.monotonic() > deadline:
                self.process.kill()
                break
            time.sleep(0.05)
        self.process = None

    def stop(self) -> None:
        """Shut the server down and remove its files."""
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)


def start() -> Cluster:
    """Create a cluster in a temporary directory and start its server on a free loopback port."""
    binaries = bin_dir()
    directory = pathlib.Path(tempfile.mkdtemp(prefix="kura-postgres-"))
    owner: dict[str, typing.Any] = {}
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
        owner = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    cluster = Cluster(directory, binaries, _free_port(), owner)
    try:
        subprocess.run(
            [binaries / "initdb", "-D", directory / "data", "-U", _USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            cwd=directory,
            **owner,
        )
        cluster.run()
    except BaseException:
        cluster.stop()
        raise
    return cluster
