"""``host:port`` addresses: where ``kura serve`` listens and what the operator commands reach, checked before use.

Left to itself gRPC reads an address without a port as port 443 and a port past 65535 modulo
65536, and a taken address fails with a traceback and a line of its own C logs. ``split`` refuses
such addresses with a message that says what to write instead; ``check_can_listen`` binds every
address a listening address resolves to once, before the server opens anything, so a taken or
foreign address is named in one line and nothing is created for a server that cannot start.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import typing

LOCAL_SOCKETS: typing.Final = ("unix:", "unix-abstract:")
"""gRPC's Unix domain socket addresses, which have no port; gRPC reports their problems itself."""
TARGET_SCHEMES: typing.Final = (*LOCAL_SOCKETS, "dns:", "ipv4:", "ipv6:", "vsock:")
"""gRPC name schemes a client target may start with (``dns:///kura.internal:50051``), passed on as they are."""
_ABSENT: typing.Final = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)
"""Errors of an address that this machine does not have (``localhost`` as ``::1`` without IPv6)."""


class AddressError(ValueError):
    """An address that is not ``host:port`` with a port from 0 to 65535; the message says what to write."""


def split(address: str) -> tuple[str, int]:
    """Return the host (an IPv6 address without its brackets) and the port of ``host:port`` or ``[v6]:port``."""
    if not address:
        raise AddressError("empty: give host:port, as in 127.0.0.1:50051")
    if address.startswith("["):
        host, bracket, rest = address[1:].partition("]")
        if not bracket:
            raise AddressError(f"{address!r}: an IPv6 address ends with ']', as in [::1]:50051")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise AddressError(f"{address!r}: {host!r} in brackets is not an IPv6 address") from None
        if not rest:
            raise AddressError(f"{address!r} has no port: give one, as in [{host}]:50051")
        if not rest.startswith(":"):
            raise AddressError(f"{address!r}: a port follows the ']' after a colon, as in [{host}]:50051")
        port_text = rest[1:]
    else:
        host, colon, port_text = address.rpartition(":")
        if not colon:
            raise AddressError(f"{address!r} has no port: give one, as in {address}:50051")
        if ":" in host:
            raise AddressError(f"{address!r}: put an IPv6 address in brackets, as in [::1]:50051")
        if not host:
            raise AddressError(
                f"{address!r} has no host: 127.0.0.1{address} listens on this machine only, "
                f"[::]{address} or 0.0.0.0{address} on every interface"
            )
    if not port_text:
        raise AddressError(f"{address!r} has no port: give one after the colon, as in {address}50051")
    if not (port_text.isascii() and port_text.isdigit()):
        raise AddressError(f"{address!r}: port {port_text!r} is not a number")
    port = int(port_text)
    if port > 65535:
        raise AddressError(f"{address!r}: port {port} is out of range (0 to 65535)")
    return host, port


def check_listen_address(address: str) -> str:
    """Return a listening address as it is if it is well formed (a Unix socket, or ``host:port``); else raise."""
    if not address.startswith(LOCAL_SOCKETS):
        split(address)
    return address


def check_target(target: str) -> str:
    """Return a client target as it is if it is ``host:port`` (port 1 to 65535) or starts with a gRPC scheme."""
    if target.startswith(TARGET_SCHEMES):
        return target
    if split(target)[1] == 0:
        raise AddressError(f"{target!r}: port 0 is where a server picks a free port, not one to connect to")
    return target


def check_can_listen(address: str) -> None:
    """Bind each address ``address`` resolves to once and let go; raise ``OSError`` naming the one that fails.

    The server binds them moments later (gRPC sets ``SO_REUSEADDR`` too, so the probe leaves
    nothing in its way). A name resolving to several addresses must bind all that this machine has.
    """
    if address.startswith(LOCAL_SOCKETS):
        return
    host, port = split(address)
    try:
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {address}: {host} does not resolve ({exc.strerror})") from None
    bound = 0
    absent: OSError | None = None
    for family, kind, protocol, _, socket_address in resolved:
        try:
            with socket.socket(family, kind, protocol) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(socket_address)
        except OSError as exc:
            if exc.errno in _ABSENT:
                absent = exc
                continue
            raise OSError(f"cannot listen on {address}{_which(host, socket_address)}: {_reason(exc)}") from None
        bound += 1
    if not bound:
        reason = _reason(absent) if absent is not None else "it resolves to no address"
        raise OSError(f"cannot listen on {address}: {reason}")


def _which(host: str, socket_address: tuple[typing.Any, ...]) -> str:
    """Name the resolved address when it is not the host as written (``localhost`` as ``::1``)."""
    return "" if socket_address[0] == host else f" (as {socket_address[0]})"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "address already in use (another server listens there)"
    if exc.errno == errno.EACCES:
        return "permission denied (a port below 1024 needs privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "this machine has no such address"
    return exc.strerror or str(exc)
