"""How a client's write session reconnects when its server goes away: backoff, jitter, limits.

The policy is plain data; ``Backoff`` turns it into the delays of one outage, so
the write stream only asks "how long until the next attempt, or give up?".
"""

from __future__ import annotations

import dataclasses
import random


@dataclasses.dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """When and for how long a ``GrpcBackend`` reconnects its write session after the server goes away.

    Attempts wait an exponentially growing delay with jitter: the ``n``-th waits a
    random time between half and all of ``min(initial_delay * 2**(n-1), max_delay)``.
    """

    initial_delay: float = 0.1
    """Seconds before the first attempt (at most)."""
    max_delay: float = 5.0
    """The longest wait between two attempts, in seconds."""
    give_up_after: float | None = 60.0
    """Seconds after the stream broke at which to stop trying and fail every queued write; None: never."""
    max_attempts: int | None = None
    """Attempts after which to give up; None: no limit but ``give_up_after``."""
    max_queued_writes: int = 10_000
    """Writes held while the server is away; a write beyond them fails at once with ``UnavailableError``."""
    attempt_timeout: float = 10.0
    """Seconds one attempt may take to open a session before it counts as failed."""

    def __post_init__(self) -> None:
        if not 0 < self.initial_delay <= self.max_delay:
            raise ValueError("reconnect delays must satisfy 0 < initial_delay <= max_delay")
        if self.give_up_after is not None and self.give_up_after <= 0:
            raise ValueError("give_up_after must be positive (or None to never give up)")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None for no limit)")
        if self.max_queued_writes < 0:
            raise ValueError("max_queued_writes must not be negative")
        if self.attempt_timeout <= 0:
            raise ValueError("attempt_timeout must be positive")


class Backoff:
    """The delays of one outage: each call to ``next_delay`` is one more attempt."""

    def __init__(self, policy: ReconnectPolicy, *, started: float) -> None:
        self._policy = policy
        self.started = started
        self._ceiling = policy.initial_delay
        self.attempts = 0

    def next_delay(self, now: float) -> float | None:
        """Return how long to wait before the next attempt, or None when the policy says give up."""
        policy = self._policy
        if policy.max_attempts is not None and self.attempts >= policy.max_attempts:
            return None
        delay = random.uniform(self._ceiling / 2, self._ceiling)
        if policy.give_up_after is not None:
            remaining = policy.give_up_after - (now - self.started)
            if remaining <= 0:
                return None
            delay = min(delay, remaining)  # one last attempt when the time is up
        self._ceiling = min(self._ceiling * 2, policy.max_delay)
        self.attempts += 1
        return delay
