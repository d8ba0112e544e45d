"""Limits on what one client may make the server hold: write sessions per peer, and the size of writes.

A peer is the client's address without its port, so one host opening many
connections still counts once. Over the limit, a new session is refused with
RESOURCE_EXHAUSTED before it costs the server anything.

One upsert (a unary ``Upsert*`` call, one op of the ``Write`` stream, or every chunk of a
bulk together) holds at most ``max_bulk_items`` objects and ``max_bulk_bytes`` encoded
bytes; more is refused with RESOURCE_EXHAUSTED naming the limit, before the objects are
validated or stored.
"""

from __future__ import annotations

import collections
import dataclasses
import typing

from hikari_kura.server import errors

DEFAULT_SESSIONS_PER_PEER: typing.Final = 64
DEFAULT_MAX_BULK_ITEMS: typing.Final = 2_000_000
DEFAULT_MAX_BULK_BYTES: typing.Final = 512 * 1024 * 1024
OBJECT_OVERHEAD: typing.Final = 512
"""Bytes an object is counted as in memory beyond its encoded message: its row's tuple, keys, columns and roles.

Measured at about 430 bytes for a generated member and 260 for a minimal one (bench/attack_writes.py's
members, CPython 3.11); rounded up, so the count overestimates what a session holds.
"""


@dataclasses.dataclass(frozen=True, slots=True)
class WriteLimits:
    """The size limits of one upsert, and how much unanswered work one write session may hold."""

    max_bulk_items: int = DEFAULT_MAX_BULK_ITEMS
    max_bulk_bytes: int = DEFAULT_MAX_BULK_BYTES
    session_window_bytes: int = 64 * 1024 * 1024
    """A write session stops reading while the writes it took and has not yet answered weigh this much.

    A write weighs its encoded bytes plus ``OBJECT_OVERHEAD`` per object (a refused write or a
    delete: one object and its error's text); the server sets it to ``--max-message-bytes``.
    """

    def too_many_items(self) -> errors.ResourceExhausted:
        """Return the refusal of an upsert over ``max_bulk_items``."""
        return errors.ResourceExhausted(f"a bulk write holds at most {self.max_bulk_items} objects (--max-bulk-items)")

    def too_many_bytes(self) -> errors.ResourceExhausted:
        """Return the refusal of an upsert over ``max_bulk_bytes``."""
        return errors.ResourceExhausted(
            f"a bulk write holds at most {self.max_bulk_bytes} bytes of objects (--max-bulk-bytes)"
        )


def peer_host(peer: str) -> str:
    """Return the host part of a gRPC peer string (``ipv4:10.0.0.5:41234`` -> ``ipv4:10.0.0.5``)."""
    if peer.startswith(("ipv4:", "ipv6:")):
        host, separator, port = peer.rpartition(":")
        if separator and port.isdigit():
            return host
    return peer


class SessionLimit:
    """Counts open write sessions per peer host and refuses those over ``per_peer``."""

    def __init__(self, per_peer: int) -> None:
        if per_peer <= 0:
            raise ValueError("per_peer must be positive")
        self._per_peer = per_peer
        self._open: collections.Counter[str] = collections.Counter()

    def held_by(self, peer: str) -> int:
        """Return how many sessions the host of ``peer`` holds open."""
        return self._open[peer_host(peer)]

    def acquire(self, peer: str) -> None:
        """Count one more session of ``peer``; raise ResourceExhausted if its host holds the most already."""
        host = peer_host(peer)
        if self._open[host] >= self._per_peer:
            raise errors.ResourceExhausted(
                f"too many write sessions from {host}: at most {self._per_peer} at once "
                "(close one, or raise --max-sessions-per-peer)"
            )
        self._open[host] += 1

    def release(self, peer: str) -> None:
        """Count one session of ``peer`` fewer."""
        host = peer_host(peer)
        self._open[host] -= 1
        if self._open[host] <= 0:
            del self._open[host]
