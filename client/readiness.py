"""Which of the guilds Discord announced in each shard's READY have arrived, to know when to prune.

After READY, Discord sends a GUILD_CREATE for every guild it listed. Until all have arrived,
pruning would remove guilds that are merely late; once they have, whatever the shard's earlier
sessions left and this one did not write again is stale. Each shard is tracked on its own, so a
shard prunes only its own guilds and never while another shard of the process is still syncing.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import logging

_LOGGER = logging.getLogger(__name__)


@dataclasses.dataclass(slots=True)
class _Shard:
    shard_count: int
    pending: set[int]


class ReadyGuilds:
    """Track the guilds each shard still awaits since its last READY."""

    __slots__ = ("_shards",)

    def __init__(self) -> None:
        self._shards: dict[int, _Shard] = {}

    def ready(self, shard_id: int, shard_count: int, guild_ids: collections.abc.Iterable[int]) -> bool:
        """Start waiting for a shard's READY guilds; True when there are none to wait for."""
        pending = {int(guild_id) for guild_id in guild_ids}
        self._shards[shard_id] = _Shard(shard_count, pending)
        _LOGGER.info("shard ready shard_id=%s shard_count=%s guilds=%s", shard_id, shard_count, len(pending))
        return self._complete(shard_id)

    def arrived(self, shard_id: int, guild_id: int) -> bool:
        """Note that a guild arrived (or was left); True when that was the shard's last awaited guild."""
        shard = self._shards.get(shard_id)
        if shard is None or not shard.pending:
            return False
        shard.pending.discard(int(guild_id))
        return self._complete(shard_id)

    def waiting(self, shard_id: int) -> int:
        """Return how many READY guilds the shard still awaits (0 when done or never ready)."""
        shard = self._shards.get(shard_id)
        return 0 if shard is None else len(shard.pending)

    def shard_count(self, shard_id: int) -> int:
        """Return the shard count the shard announced in its READY."""
        return self._shards[shard_id].shard_count

    def _complete(self, shard_id: int) -> bool:
        if self._shards[shard_id].pending:
            return False
        _LOGGER.info("shard has every READY guild shard_id=%s", shard_id)
        return True
