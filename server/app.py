"""Assemble and run the Kura server: storage, writer, sessions, the CacheService, health and reflection."""

from __future__ import annotations

import asyncio
import collections.abc
import dataclasses
import logging
import pathlib
import signal
import typing

import grpc
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

from hikari_kura.server import service, sessions, store, writer
from hikari_kura.v1 import cache_service_pb2

_LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    """Everything an operator tunes; ``kura serve`` fills it from flags and ``KURA_*`` variables."""

    address: str = "127.0.0.1:50051"
    database: pathlib.Path = pathlib.Path("kura.sqlite3")
    reflection: bool = True
    readers: int = 4
    synchronous: str = "FULL"
    max_message_bytes: int = 64 * 1024 * 1024
    max_bulk_items: int = 2_000_000
    shutdown_grace_seconds: float = 10.0


def _spell_json_names(
    messages: collections.abc.Iterable[descriptor_pb2.DescriptorProto],
    descriptors: collections.abc.Mapping[str, descriptor.Descriptor],
) -> None:
    for message in messages:
        known = descriptors[message.name]
        for field in message.field:
            field.json_name = known.fields_by_name[field.name].json_name
        _spell_json_names(message.nested_type, known.nested_types_by_name)


class _ReflectionPool:
    """The descriptors reflection serves, as grpcurl needs them.

    grpcio-reflection serves the generated modules' descriptors, which leave out each field's
    JSON name: grpcurl 1.8 then prints snake_case keys, where it prints lowerCamelCase given the
    .proto files. Its default pool also cannot find a method by name, so ``grpcurl describe
    hikari_kura.v1.CacheService.UpsertRoles`` fails (grpc/grpc#34743). This pool holds copies
    of the served files with every JSON name spelled out, and finds a method's file.
    """

    def __init__(self, roots: collections.abc.Iterable[descriptor.FileDescriptor]) -> None:
        self._pool = descriptor_pool.DescriptorPool()
        self._added: set[str] = set()
        for root in roots:
            self._add(root)

    def _add(self, file: descriptor.FileDescriptor) -> None:
        if file.name in self._added:
            return
        for dependency in file.dependencies:
            self._add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        _spell_json_names(proto.message_type, file.message_types_by_name)
        self._pool.AddSerializedFile(proto.SerializeToString())
        self._added.add(file.name)

    def FindFileContainingSymbol(self, symbol: str) -> descriptor.FileDescriptor:
        """Return the file that defines ``symbol``, a method's name included."""
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            # Raises KeyError again for an unknown symbol, which reflection answers with NOT_FOUND.
            return self._pool.FindMethodByName(symbol).containing_service.file

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._pool, name)


class Server:
    """A running Kura server; ``start`` then ``stop`` (or ``serve`` until a signal)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.port: int | None = None
        self._grpc: grpc.aio.Server | None = None
        self._store: store.Store | None = None
        self._writer: writer.Writer | None = None
        self._health = health.aio.HealthServicer()

    async def start(self) -> None:
        """Open the database, start the writer and begin serving; ``port`` is then the bound port."""
        config = self.config
        self._store = await store.Store.open(config.database, readers=config.readers, synchronous=config.synchronous)
        await sessions.Sessions.close_stale(self._store.writer_conn)
        self._writer = writer.Writer(self._store.writer_conn)
        self._writer.start()
        cache = service.CacheService(
            self._store, self._writer, sessions.Sessions(self._writer), max_bulk_items=config.max_bulk_items
        )
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", config.max_message_bytes),
                ("grpc.max_send_message_length", config.max_message_bytes),
                ("grpc.so_reuseport", 0),
            ]
        )
        server.add_generic_rpc_handlers((service.handler(cache),))
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        if config.reflection:
            names = (
                cache_service_pb2.DESCRIPTOR.services_by_name["CacheService"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            )
            files = (cache_service_pb2.DESCRIPTOR, health_pb2.DESCRIPTOR, reflection_pb2.DESCRIPTOR)
            # Reflection only looks descriptors up; _ReflectionPool answers every lookup it makes.
            pool = typing.cast(descriptor_pool.DescriptorPool, _ReflectionPool(files))
            reflection.enable_server_reflection(names, server, pool=pool)
        self.port = server.add_insecure_port(config.address)
        if self.port == 0:
            raise OSError(f"cannot listen on {config.address}")
        await server.start()
        self._grpc = server
        await self._set_health(health_pb2.HealthCheckResponse.SERVING)
        _LOGGER.info("serving address=%s port=%d database=%s", config.address, self.port, config.database)

    async def _set_health(self, status: int) -> None:
        for name in ("", service.SERVICE_NAME):
            await self._health.set(name, status)

    async def stop(self) -> None:
        """Stop taking calls, let running ones finish, commit every queued write, checkpoint, close."""
        grace = self.config.shutdown_grace_seconds
        if self._grpc is not None:
            await self._health.enter_graceful_shutdown()
            _LOGGER.info("shutting down grace_seconds=%.1f", grace)
            await self._grpc.stop(grace)
            self._grpc = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._store is not None:
            await self._store.close()
            self._store = None
        _LOGGER.info("stopped")

    async def serve(self) -> None:
        """Run until SIGTERM or SIGINT, then shut down gracefully."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
