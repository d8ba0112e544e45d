"""Errors a request can fail with, each carrying the gRPC status it is answered with."""

from __future__ import annotations

import grpc


class RequestError(Exception):
    """A request the server refuses or cannot carry out; nothing it asked for was changed."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidArgument(RequestError):
    """Malformed input; the message names the field, as in ``roles[0].id: must be positive``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(grpc.StatusCode.INVALID_ARGUMENT, f"{field}: {reason}")
        self.field = field


class ResourceExhausted(RequestError):
    """A request larger than the server accepts."""

    def __init__(self, message: str) -> None:
        super().__init__(grpc.StatusCode.RESOURCE_EXHAUSTED, message)


class Unavailable(RequestError):
    """The server is shutting down and takes no more work."""

    def __init__(self, message: str = "server is shutting down") -> None:
        super().__init__(grpc.StatusCode.UNAVAILABLE, message)


class ReadOnly(RequestError):
    """A write to a database the server serves read-only."""

    def __init__(self, reason: str) -> None:
        super().__init__(grpc.StatusCode.FAILED_PRECONDITION, f"storage is read-only: {reason}")


def from_storage_error(exc: Exception) -> RequestError:
    """Return the status a failed write is answered with: disk full and read-only are the user's to fix."""
    if isinstance(exc, RequestError):
        return exc
    text = str(exc)
    if "disk is full" in text or "disk I/O error" in text:
        return RequestError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"storage is full or failing: {text}")
    if "readonly" in text or "read-only" in text:
        return RequestError(grpc.StatusCode.FAILED_PRECONDITION, f"storage is read-only: {text}")
    return RequestError(grpc.StatusCode.INTERNAL, f"write failed: {text}")
