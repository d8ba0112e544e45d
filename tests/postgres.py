"""A real PostgreSQL server for the tests: a throwaway cluster on a loopback port, and a database per test.

The cluster lives in a temporary directory for one test session; ``pg_ctl`` starts
and stops it (so no server process is a child of the test process). PostgreSQL
refuses to run as root, so as root it runs as the ``postgres`` user that Debian's
package creates, through ``runuser``. Missing binaries are installed from Debian's
``postgresql`` package when we are root, and otherwise fail the tests (never skip them).
The cluster runs with ``fsync=off``: it is thrown away at the end, and crash durability
is tested on SQLite's file.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import typing

import asyncpg
import serverproc
import system_packages

_USER: typing.Final = "kura"
_NUMBERS = itertools.count(1)


def _find_binaries() -> pathlib.Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if candidates:
        return pathlib.Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return pathlib.Path(found).parent
    return None


def bin_dir() -> pathlib.Path:
    """Return the directory of ``initdb`` and ``postgres``, installing Debian's package first if need be."""
    found = _find_binaries()
    if found is None:
        try:
            system_packages.apt_install(["postgresql"])
        except RuntimeError as exc:
            raise RuntimeError(
                f"PostgreSQL server binaries (initdb, postgres) not found, and {exc}: the PostgreSQL engine's "
                "tests need a real server. Install Debian's package: apt-get install postgresql"
            ) from None
        found = _find_binaries()
    if found is None:
        raise RuntimeError("apt-get installed postgresql, yet initdb and postgres are still not found")
    return found


_SETTINGS: typing.Final = ("listen_addresses=127.0.0.1", "fsync=off", "full_page_writes=off", "max_connections=300")


@dataclasses.dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary directory, served on 127.0.0.1:``port``."""

    directory: pathlib.Path
    binaries: pathlib.Path
    port: int
    as_owner: list[str]
    """The prefix that runs a command as the cluster's owner: ``runuser -u postgres --`` when we are root."""

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

    def _pg_ctl(self, *args: str) -> None:
        """Run ``pg_ctl`` as the cluster's owner; raise with the server's log if it fails."""
        command = [*self.as_owner, str(self.binaries / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        result = subprocess.run(command, capture_output=True, cwd=self.directory)
        if result.returncode != 0:
            log = (self.directory / "server.log").read_text(errors="replace")
            raise RuntimeError(f"pg_ctl {args[-1]} failed: {result.stderr.decode()}\n{log}")

    def run(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} " + " ".join(f"-c {setting}" for setting in _SETTINGS)
        self._pg_ctl("-l", str(self.directory / "server.log"), "-o", options, "-w", "-t", "60", "start")

    def halt(self) -> None:
        """Shut the server down fast and wait until it is down; its data stays, so ``run`` starts it again."""
        if (self.directory / "data" / "postmaster.pid").exists():
            self._pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def stop(self) -> None:
        """Shut the server down and remove its files."""
        try:
            self.halt()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start() -> Cluster:
    """Create a cluster in a temporary directory and start its server on a free loopback port."""
    binaries = bin_dir()
    directory = pathlib.Path(tempfile.mkdtemp(prefix="kura-postgres-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(directory, binaries, serverproc.free_port(), as_owner)
    try:
        initdb = [str(binaries / "initdb"), "-D", str(directory / "data"), "-U", _USER, "--auth=trust", "--no-sync"]
        subprocess.run(
            [*as_owner, *initdb, "-E", "UTF8"],
            check=True,
            capture_output=True,
            cwd=directory,
        )
        cluster.run()
    except BaseException:
        cluster.stop()
        raise
    return cluster
