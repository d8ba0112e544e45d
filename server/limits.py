"""Per-peer limits: how many write sessions one client host may hold open at once.

A peer is the client's address without its port, so one host opening many
connections still counts once. Over the limit, a new session is refused with
RESOURCE_EXHAUSTED before it costs the server anything.
"""

from __future__ import annotations

import collections
import typing

from hikari_kura.server import errors

DEFAULT_SESSIONS_PER_PEER: typing.Final = 64


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
