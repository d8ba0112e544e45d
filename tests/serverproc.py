"""Run ``kura serve`` as a separate process, as an operator does, for tests that stop, kill and restart it."""

from __future__ import annotations

import asyncio
import collections.abc
import os
import pathlib
import signal
import socket
import subprocess
import sys
import typing

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

IN_THIS_PYTHON: tuple[str, ...] = (sys.executable, "-m", "hikari_kura.server")
KURA: tuple[str, ...] = (os.environ["KURA_TEST_SERVE"],) if "KURA_TEST_SERVE" in os.environ else IN_THIS_PYTHON
"""The ``kura`` command the tests run: ``KURA_TEST_SERVE`` names one of another install (see conftest.py)."""


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _healthy(target: str) -> bool:
    async with grpc.aio.insecure_channel(target) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.aio.AioRpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


class ServerProcess:
    """A ``kura serve`` child process, reaped only by its own ``subprocess.Popen``.

    Not an asyncio subprocess: asyncio's child watcher and its transport's ``poll`` can both reap
    a child, and when the transport wins the race (a busy machine, a process killed by a test)
    the watcher reports a made-up status of 255 ("Unknown child process") instead of the real one.
    """

    def __init__(self, command: collections.abc.Sequence[str], log: pathlib.Path | None) -> None:
        if log is None:
            self._popen = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            with log.open("ab") as output:  # the child keeps its own copy of the descriptor
                self._popen = subprocess.Popen(command, stdout=output, stderr=output)

    @property
    def pid(self) -> int:
        """The process id."""
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit status (negative: the signal that ended it), or None while it runs."""
        return self._popen.poll()

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the process, if it still runs."""
        self._popen.send_signal(signum)

    def kill(self) -> None:
        """Send SIGKILL to the process, if it still runs."""
        self._popen.kill()

    async def wait(self) -> int:
        """Wait for the process to end and return its exit status."""
        return await asyncio.to_thread(self._popen.wait)


class Memory(typing.NamedTuple):
    """A process's memory from /proc, in bytes: resident now, and the most it has been resident."""

    resident: int
    peak: int


def memory(pid: int) -> Memory:
    """Return the resident set size of a process, now and at its peak (VmRSS, VmHWM)."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return Memory(fields["VmRSS"], fields["VmHWM"])


async def start(database: pathlib.Path, port: int, *flags: str, log: pathlib.Path | None = None) -> ServerProcess:
    """Start ``kura serve`` on ``127.0.0.1:port`` over ``database`` and wait until it reports SERVING."""
    target = f"127.0.0.1:{port}"
    command = (*KURA, "serve", "--database", str(database), "--address", target)
    process = ServerProcess((*command, *flags), log)
    for _ in range(600):
        if await _healthy(target):
            return process
        if process.returncode is not None:
            raise AssertionError(f"kura serve exited with {process.returncode}")
        await asyncio.sleep(0.05)
    process.kill()
    await process.wait()
    raise AssertionError("the server never became healthy")


async def stop(process: ServerProcess, *, kill: bool = False) -> int:
    """Stop the server (SIGTERM, or SIGKILL with ``kill``) and return its exit status."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    return await process.wait()
