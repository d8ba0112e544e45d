"""The client's exceptions, and the one place that turns a gRPC status into one of them."""

from __future__ import annotations

import typing

import grpc


class KuraError(Exception):
    """A request to the Kura server failed; ``code`` is the gRPC status, ``message`` the server's words."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, *, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class InvalidArgumentError(KuraError, ValueError):
    """The server refused malformed input; the message names the field. Nothing was changed."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class UnauthenticatedError(KuraError):
    """The server requires credentials this client did not present."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDeniedError(KuraError):
    """The credentials do not allow this operation."""

    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(KuraError):
    """A request too large for the server, or storage that is full."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(KuraError):
    """The server cannot do this in its state (a snapshot of a newer schema, read-only storage)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class UnavailableError(KuraError, ConnectionError):
    """The server cannot be reached, is shutting down, or the session's stream broke."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceededError(KuraError, TimeoutError):
    """The request did not finish in time."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class InternalError(KuraError):
    """The server failed in a way that is not the request's fault."""

    code = grpc.StatusCode.INTERNAL


_BY_CODE: typing.Final[dict[grpc.StatusCode, type[KuraError]]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        UnauthenticatedError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        UnavailableError,
        DeadlineExceededError,
        InternalError,
    )
}
_BY_NUMBER: typing.Final[dict[int, grpc.StatusCode]] = {code.value[0]: code for code in grpc.StatusCode}


def from_status(code: grpc.StatusCode | int, message: str) -> KuraError:
    """Return the client exception for a gRPC status (given as the enum or its number)."""
    if isinstance(code, int):
        code = _BY_NUMBER.get(code, grpc.StatusCode.UNKNOWN)
    cls = _BY_CODE.get(code, KuraError)
    return cls(message, code=code)


_LOST_STATUS: typing.Final = "Internal error from Core"
"""What grpc.aio reports when a stream write fails after the server ended the call (grpc/grpc#36066).

The server's own status (UNAVAILABLE as it shuts down) is overwritten, so the call's end
is all that is known: the server or the connection went away.
"""


def from_rpc_error(error: grpc.aio.AioRpcError) -> KuraError:
    """Return the client exception for a failed call.

    A call ends CANCELLED here only when the server's side cancelled it (a call this client
    cancels raises ``asyncio.CancelledError`` instead): gRPC cancels calls that reach a server
    as it shuts down, so the server is going away and the call may be made again once it is back.
    """
    if error.code() == grpc.StatusCode.CANCELLED:
        return UnavailableError(f"the server cancelled the call, shutting down or gone: {error.details() or ''}")
    if error.code() == grpc.StatusCode.INTERNAL and error.details() == _LOST_STATUS:
        return UnavailableError("the server ended the call (its own status was lost: grpc/grpc#36066)")
    return from_status(error.code(), error.details() or "")
