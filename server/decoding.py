"""Refuse a request whose bytes are not a message of its type with INVALID_ARGUMENT, as other malformed input.

gRPC answers an exception in a request deserializer with UNKNOWN and logs a
traceback for each call. Instead the deserializer hands the handler a marker,
and the handler refuses it like any malformed request: nothing is changed.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import typing

import grpc
from google.protobuf import message

from hikari_kura.server import errors

Handler: typing.TypeAlias = typing.Callable[..., typing.Any]
Context: typing.TypeAlias = grpc.aio.ServicerContext


@dataclasses.dataclass(frozen=True, slots=True)
class Undecodable:
    """What the deserializer returns for bytes that are not a message of the request's type."""

    error: errors.InvalidArgument


def decoder(message_type: typing.Any) -> typing.Callable[[bytes], object]:
    """Return the request deserializer of ``message_type``: a message, or ``Undecodable``."""
    name = message_type.DESCRIPTOR.name

    def decode(data: bytes) -> object:
        try:
            return message_type.FromString(data)
        except message.DecodeError as exc:
            return Undecodable(errors.InvalidArgument("request", f"not a valid {name} message: {exc}"))

    return decode


def refusing_undecodable(behavior: Handler, *, streams_requests: bool, streams_responses: bool) -> Handler:
    """Wrap a handler so an undecodable request ends the call with INVALID_ARGUMENT before it does anything."""
    if streams_requests:

        async def streamed(requests: collections.abc.AsyncIterator[object], context: Context) -> object:
            async def decoded() -> collections.abc.AsyncIterator[object]:
                async for request in requests:
                    if isinstance(request, Undecodable):
                        raise request.error  # handlers refuse a RequestError from their stream like their own
                    yield request

            return await behavior(decoded(), context)

        return streamed
    if streams_responses:

        async def streaming(request: object, context: Context) -> collections.abc.AsyncIterator[object]:
            if isinstance(request, Undecodable):
                await context.abort(request.error.code, request.error.message)
            async for response in behavior(request, context):
                yield response

        return streaming

    async def unary(request: object, context: Context) -> object:
        if isinstance(request, Undecodable):
            await context.abort(request.error.code, request.error.message)
        return await behavior(request, context)

    return unary
