"""Observe the statements a running server's store runs: how many, how large, and whether they were cancelled.

Server-side work is observed this way (the store's ``fetch``, wrapped in place on the running
server), never by timing.
"""

from __future__ import annotations

import asyncio
import collections.abc
import typing

import pytest

from hikari_kura.server import app as server_app


class FetchCounter:
    """Counts the statements the running server's store runs, and the most rows each asks for."""

    def __init__(self, server: server_app.Server, monkeypatch: pytest.MonkeyPatch) -> None:
        store = server._engine
        assert store is not None
        self.limits: list[int] = []
        self._fetch = store.fetch
        monkeypatch.setattr(store, "fetch", self.fetch)

    @property
    def calls(self) -> int:
        return len(self.limits)

    async def fetch(
        self, sql: str, params: collections.abc.Sequence[object], *, scan: bool = False
    ) -> list[typing.Any]:
        # Every page statement ends in ``LIMIT ?``: its last parameter is the page size.
        self.limits.append(typing.cast(int, params[-1]))
        return await self._fetch(sql, params, scan=scan)


class HeldFetch(FetchCounter):
    """Lets the first ``free`` statements through; holds each later one until its caller is cancelled."""

    def __init__(self, server: server_app.Server, monkeypatch: pytest.MonkeyPatch, *, free: int) -> None:
        super().__init__(server, monkeypatch)
        self._free = free
        self.holding = asyncio.Event()
        self.held_and_cancelled = asyncio.Event()

    async def fetch(
        self, sql: str, params: collections.abc.Sequence[object], *, scan: bool = False
    ) -> list[typing.Any]:
        if self.calls >= self._free and not self.held_and_cancelled.is_set():
            self.limits.append(typing.cast(int, params[-1]))
            self.holding.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.held_and_cancelled.set()
                raise
        return await super().fetch(sql, params, scan=scan)
