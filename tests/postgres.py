"""A real PostgreSQL server for the tests: a throwaway cluster on a loopback port, and a database per test.

The cluster lives in a temporary directory for one test session. PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` user that
Debian's package creates. Missing binaries fail the tests (never skip them):
CI installs Debian's ``postgresql`` package. The cluster runs with ``fsync=off``:
it is thrown away at the end, and crash durability is tested on SQLite's file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import itertools
import os
import pathlib
import pwd
import shutil
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


@dataclasses.dataclass
class Cluster:
    """A running PostgreSQL server on 127.0.0.1."""

    directory: pathlib.Path
    port: int
    process: subprocess.Popen[bytes]

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

    def stop(self) -> None:
        """Shut the server down fast and remove its files."""
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: PostgreSQL's fast shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
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
    data = directory / "data"
    subprocess.run(
        [binaries / "initdb", "-D", data, "-U", _USER, "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
        check=True,
        capture_output=True,
        cwd=directory,
        **owner,
    )
    port = _free_port()
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(
        [
            binaries / "postgres",
            *("-D", data, "-p", str(port), "-k", directory),
            *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"),
            *("-c", "max_connections=300", "-c", "shared_buffers=64MB"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
        **owner,
    )
    cluster = Cluster(directory, port, process)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            text = (directory / "server.log").read_text(errors="replace")
            cluster.stop()
            raise RuntimeError(f"PostgreSQL did not start:\n{text}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            ready = subprocess.run(
                [binaries / "pg_isready", "-h", "127.0.0.1", "-p", str(port), "-U", _USER], capture_output=True
            )
            if ready.returncode == 0:
                return cluster
        if time.monotonic() > deadline:
            cluster.stop()
            raise RuntimeError("PostgreSQL did not accept connections within 60 s")
        time.sleep(0.1)
