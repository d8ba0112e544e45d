"""Server reflection as grpcurl needs it: the served files with JSON names, methods findable by name."""

from __future__ import annotations

import collections.abc
import typing

import grpc
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection, reflection_pb2

from hikari_kura.v1 import cache_service_pb2


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


def enable(server: grpc.aio.Server) -> None:
    """Serve reflection of the cache, health and reflection services on ``server``."""
    names = (
        cache_service_pb2.DESCRIPTOR.services_by_name["CacheService"].full_name,
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        reflection.SERVICE_NAME,
    )
    files = (cache_service_pb2.DESCRIPTOR, health_pb2.DESCRIPTOR, reflection_pb2.DESCRIPTOR)
    # Reflection only looks descriptors up; _ReflectionPool answers every lookup it makes.
    pool = typing.cast(descriptor_pool.DescriptorPool, _ReflectionPool(files))
    reflection.enable_server_reflection(names, server, pool=pool)
