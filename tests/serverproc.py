"""Run ``kura serve`` as a separate process, as an operator does, for tests that stop, kill and restart it."""

from __future__ import annotations

import asyncio
import pathlib
import signal
import socket
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


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


async def start(
    database: pathlib.Path, port: int, *flags: str, log: pathlib.Path | None = None
) -> asyncio.subprocess.Process:
    """Start ``kura serve`` on ``127.0.0.1:port`` over ``database`` and wait until it reports SERVING."""
    target = f"127.0.0.1:{port}"
    command = (sys.executable, "-m", "hikari_kura.server", "serve", "--database", str(database), "--address", target)
    if log is None:
        process = await asyncio.create_subprocess_exec(
            *command, *flags, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
    else:
        with log.open("ab") as output:  # the child keeps its own copy of the descriptor
            process = await asyncio.create_subprocess_exec(*command, *flags, stdout=output, stderr=output)
    for _ in range(600):
        if await _healthy(target):
            return process
        if process.returncode is not None:
            raise AssertionError(f"kura serve exited with {process.returncode}")
        await asyncio.sleep(0.05)
    process.kill()
    await process.wait()
    raise AssertionError("the server never became healthy")


async def stop(process: asyncio.subprocess.Process, *, kill: bool = False) -> int:
    """Stop the server (SIGTERM, or SIGKILL with ``kill``) and return its exit status."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    return await process.wait()
