"""Operator commands over gRPC: ``kura snapshot``, ``kura restore``, ``kura stats``, ``kura health``.

They speak the wire contract directly (no hikari), stream files in chunks and
report progress on standard error, when it is a terminal, so a large snapshot is
visibly moving. Each failure is one ``CommandError`` whose message names the file
or the server and what went wrong.
"""

from __future__ import annotations

import asyncio
import collections.abc
import dataclasses
import os
import pathlib
import sys
import typing

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

CHUNK: typing.Final = 1 << 20
_MAX_MESSAGE_BYTES: typing.Final = 64 * 1024 * 1024


class CommandError(Exception):
    """A command failed; the message says why, for the operator."""


@dataclasses.dataclass(frozen=True, slots=True)
class Connection:
    """How a command reaches a server: its address, the token it sends, and TLS when asked for."""

    target: str
    token: str | None = dataclasses.field(default=None, repr=False)
    tls: bool = False
    """Use TLS; implied by ``ca``. Without ``ca`` the system's trusted CAs verify the server."""
    ca: pathlib.Path | None = None
    client_cert: pathlib.Path | None = None
    client_key: pathlib.Path | None = None
    server_name: str | None = None
    """The name the server's certificate must hold, when it is not the target's host."""

    def channel(self) -> grpc.aio.Channel:
        """Open a channel to the server, plaintext or TLS."""
        options: list[tuple[str, typing.Any]] = [
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
        ]
        if not (self.tls or self.ca):
            return grpc.aio.insecure_channel(self.target, options=options)
        if self.server_name:
            options.append(("grpc.ssl_target_name_override", self.server_name))
        try:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self.ca.read_bytes() if self.ca else None,
                private_key=self.client_key.read_bytes() if self.client_key else None,
                certificate_chain=self.client_cert.read_bytes() if self.client_cert else None,
            )
        except OSError as exc:
            raise CommandError(f"{exc.filename}: {exc.strerror}") from None
        return grpc.aio.secure_channel(self.target, credentials, options=options)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Return the call metadata that carries the token, if there is one."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


def _error(connection: Connection, exc: grpc.aio.AioRpcError) -> CommandError:
    return CommandError(f"{connection.target}: {exc.code().name}: {exc.details()}")


class Progress:
    """Report bytes moved on standard error, every 10% of a known total or every 64 MiB.

    Only on a terminal, as git does: in a script or a log the one line of the outcome is what counts.
    """

    def __init__(self, verb: str, total: int | None) -> None:
        self._shown = sys.stderr.isatty()
        self._verb = verb
        self._total = total
        self._done = 0
        self._next = 0

    def advance(self, count: int) -> None:
        """Count ``count`` more bytes and report if a step was passed."""
        self._done += count
        if not self._shown:
            return
        step = max(self._total // 10, 1) if self._total else 64 * CHUNK
        if self._done >= self._next:
            self._next = self._done + step
            share = f" ({100 * self._done // self._total}%)" if self._total else ""
            sys.stderr.write(f"{self._verb} {self._done:,} of {self._total or '?':,} bytes{share}\n")


def _check_destination(path: pathlib.Path) -> None:
    """Refuse a snapshot destination that cannot become a file, before the server does any work."""
    if path.is_dir():
        example = path / "cache.snapshot"
        raise CommandError(f"{path}: is a directory: give the path of the file to write, e.g. {example}")
    directory = path.parent
    if not directory.exists():
        raise CommandError(f"{path}: directory {directory} does not exist")
    if not directory.is_dir():
        raise CommandError(f"{path}: {directory} is not a directory")


async def snapshot(connection: Connection, path: pathlib.Path) -> int:
    """Stream a snapshot of the server's cache into ``path`` (complete or not at all); return its bytes."""
    _check_destination(path)
    partial = path.with_name(f".{path.name}.partial")
    written = 0
    try:
        with partial.open("wb") as file:
            async with connection.channel() as channel:
                stub = cache_service_pb2_grpc.CacheServiceStub(channel)  # type: ignore[no-untyped-call]
                progress: Progress | None = None
                async for response in stub.Snapshot(pb.SnapshotRequest(), metadata=connection.metadata()):
                    if progress is None:
                        progress = Progress("received", response.total_bytes)
                    file.write(response.chunk)
                    written += len(response.chunk)
                    progress.advance(len(response.chunk))
        os.replace(partial, path)
    except grpc.aio.AioRpcError as exc:
        raise _error(connection, exc) from None
    except OSError as exc:  # the local side: no permission, a full disk
        raise CommandError(f"{path}: cannot write it: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return written


async def restore(connection: Connection, path: pathlib.Path) -> pb.RestoreResponse:
    """Stream ``path`` to the server, which replaces its cache with it if it is a valid snapshot."""
    if path.is_dir():
        raise CommandError(f"{path}: is a directory, not a snapshot file")
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if not path.is_file():
        raise CommandError(f"{path}: not a regular file")
    try:
        file = path.open("rb")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read it: {exc.strerror}") from None
    progress = Progress("sent", os.fstat(file.fileno()).st_size)

    async def chunks() -> collections.abc.AsyncIterator[pb.RestoreRequest]:
        while chunk := file.read(CHUNK):
            progress.advance(len(chunk))
            yield pb.RestoreRequest(chunk=chunk)

    try:
        with file:
            async with connection.channel() as channel:
                stub = cache_service_pb2_grpc.CacheServiceStub(channel)  # type: ignore[no-untyped-call]
                return typing.cast(pb.RestoreResponse, await stub.Restore(chunks(), metadata=connection.metadata()))
    except grpc.aio.AioRpcError as exc:
        raise _error(connection, exc) from None


async def stats(connection: Connection, timeout: float) -> dict[str, typing.Any]:
    """Return the server's GetStats report as JSON-ready data."""
    try:
        async with connection.channel() as channel:
            stub = cache_service_pb2_grpc.CacheServiceStub(channel)  # type: ignore[no-untyped-call]
            response = await stub.GetStats(pb.GetStatsRequest(), timeout=timeout, metadata=connection.metadata())
    except grpc.aio.AioRpcError as exc:
        raise _error(connection, exc) from None
    return json_format.MessageToDict(
        response,
        always_print_fields_with_no_presence=True,
        preserving_proto_field_name=True,
        unquote_int64_if_possible=True,
    )


async def health(connection: Connection, timeout: float) -> str:
    """Return the serving status the server's grpc.health.v1 service reports (it needs no token)."""
    try:
        async with connection.channel() as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
    except grpc.aio.AioRpcError as exc:
        raise _error(connection, exc) from None
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


def run(coroutine: collections.abc.Coroutine[typing.Any, typing.Any, typing.Any]) -> typing.Any:
    """Run one command's coroutine."""
    return asyncio.run(coroutine)
