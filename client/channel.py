"""The gRPC channel a client opens: plaintext or TLS, keepalive, and the bearer token on every call."""

from __future__ import annotations

import collections.abc
import dataclasses
import pathlib
import typing

import grpc

MAX_MESSAGE_BYTES: typing.Final = 64 * 1024 * 1024
KEEPALIVE_OPTIONS: typing.Final[tuple[tuple[str, int], ...]] = (
    # Ping an idle connection every 30 s (the server accepts pings every 10 s and more seldom)
    # and drop it when a ping goes 10 s unanswered, so a dead server fails the session's writes
    # instead of leaving them waiting for ever.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.ping_timeout_ms", 10_000),  # what gRPC 1.85 times the keepalive ping out by
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)


def _read(value: bytes | str | pathlib.Path | None) -> bytes | None:
    """Return PEM bytes given as bytes or as the path of a file holding them."""
    if value is None or isinstance(value, bytes):
        return value
    return pathlib.Path(value).read_bytes()


@dataclasses.dataclass(frozen=True, slots=True)
class TLSConfig:
    """TLS for a client: what verifies the server, and the client's own certificate for mTLS.

    Each PEM value is bytes or the path of a file (read when the channel opens).
    ``TLSConfig()`` verifies the server with the system's trusted CAs.
    """

    ca: bytes | str | pathlib.Path | None = None
    """CA certificates that verify the server; None uses the system's."""
    cert: bytes | str | pathlib.Path | None = None
    """The client's certificate chain, for a server that requires client certificates."""
    key: bytes | str | pathlib.Path | None = dataclasses.field(default=None, repr=False)
    """The private key of ``cert``."""
    server_name: str | None = None
    """The name the server's certificate must hold, when it is not the target's host."""

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ValueError("TLSConfig: cert and key go together")

    def credentials(self) -> grpc.ChannelCredentials:
        """Return the channel credentials, reading any files now."""
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca), private_key=_read(self.key), certificate_chain=_read(self.cert)
        )


class _AddToken:
    """Add ``authorization: Bearer <token>`` to the metadata of a call.

    Interceptors rather than call credentials: gRPC sends call credentials only over
    TLS, and a token is also useful on a private plaintext network.
    """

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(*self._header)
        return details._replace(metadata=metadata)


# One class per kind of call: grpc.aio files each interceptor under the first kind it is.
class _UnaryUnaryToken(_AddToken, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(
        self, continuation: collections.abc.Callable[..., typing.Any], details: typing.Any, request: typing.Any
    ) -> typing.Any:
        return await continuation(self._with_token(details), request)


class _UnaryStreamToken(_AddToken, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(
        self, continuation: collections.abc.Callable[..., typing.Any], details: typing.Any, request: typing.Any
    ) -> typing.Any:
        return await continuation(self._with_token(details), request)


class _StreamUnaryToken(_AddToken, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_unary(
        self, continuation: collections.abc.Callable[..., typing.Any], details: typing.Any, requests: typing.Any
    ) -> typing.Any:
        return await continuation(self._with_token(details), requests)


class _StreamStreamToken(_AddToken, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(
        self, continuation: collections.abc.Callable[..., typing.Any], details: typing.Any, requests: typing.Any
    ) -> typing.Any:
        return await continuation(self._with_token(details), requests)


def open_channel(
    target: str,
    *,
    token: str | None = None,
    tls: TLSConfig | None = None,
    options: collections.abc.Sequence[tuple[str, typing.Any]] = (),
) -> grpc.aio.Channel:
    """Open a channel to ``target``: TLS when ``tls`` is given, the token on every call when given.

    ``options`` come last, so they override the connection pool, message limits and keepalive set here.
    """
    merged: list[tuple[str, typing.Any]] = [
        # Each channel keeps its own connections: gRPC otherwise shares them, and their reconnect
        # backoff, between the channels of a process with the same target and options, so a new
        # backend would wait out (or fail through) another channel's backoff from a past outage.
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        *KEEPALIVE_OPTIONS,
    ]
    if tls is not None and tls.server_name:
        merged.append(("grpc.ssl_target_name_override", tls.server_name))
    merged.extend(options)
    interceptors = (
        [kind(token) for kind in (_UnaryUnaryToken, _UnaryStreamToken, _StreamUnaryToken, _StreamStreamToken)]
        if token
        else None
    )
    if tls is None:
        return grpc.aio.insecure_channel(target, options=merged, interceptors=interceptors)
    return grpc.aio.secure_channel(target, tls.credentials(), options=merged, interceptors=interceptors)
