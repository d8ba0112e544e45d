"""The Kura side of the benchmark: a ``GrpcBackend`` talking to a ``kura serve`` process on loopback."""

from __future__ import annotations

import asyncio
import collections.abc

import hikari
import scenarios
import workload

from hikari_kura.client import GrpcBackend, MemberQuery


class KuraSide(scenarios.Side):
    """Drive a Kura server through the client a bot uses."""

    name = "kura"

    def __init__(self, app: hikari.GatewayBot, db_path: str, *, target: str, server_pid: int) -> None:
        super().__init__(app, db_path)
        self.target = target
        self.server_pid = server_pid
        self.backend = GrpcBackend(target, app=app)

    async def connect(self) -> None:
        await self.backend.connect()

    async def disconnect(self) -> None:
        await self.backend.disconnect()

    async def bulk_members(self, members: list[hikari.Member]) -> None:
        await (await self.backend.bulk_members(members, confirm=True))

    async def issue_bulk_members(self, members: list[hikari.Member]) -> collections.abc.Awaitable[None]:
        return await self.backend.bulk_members(members, confirm=True)

    async def member_update(self, member: hikari.Member, confirm: bool) -> None:
        future = await self.backend.member_update(member, confirm=confirm)
        if future is not None:
            await future

    async def get_member(self, guild_id: int, user_id: int) -> hikari.Member | None:
        found = None
        async for member in self.backend.iter_members(MemberQuery(guild_id=guild_id, id=user_id)):
            found = member
        return found

    async def scan_members(self, guild_id: int) -> int:
        count = 0
        async for _ in self.backend.iter_members(MemberQuery(guild_id=guild_id)):
            count += 1
        return count

    def storable_channels(self, channels: list[hikari.GuildChannel]) -> list[hikari.GuildChannel]:
        return channels

    async def bulk_channels(self, channels: list[hikari.GuildChannel]) -> None:
        await (await self.backend.bulk_channels(channels, confirm=True))

    async def scan_channels(self) -> int:
        count = 0
        async for _ in self.backend.iter_channels(None):
            count += 1
        return count

    async def guild_sync(self, entities: workload.GuildEntities) -> int:
        backend = self.backend
        futures = [
            await backend.guild_join(entities.guild, confirm=True),
            await backend.bulk_roles(entities.roles, confirm=True),
            await backend.bulk_channels(entities.channels, confirm=True),
            await backend.bulk_members(entities.members, confirm=True),
        ]
        await asyncio.gather(*futures)
        return entities.count

    def memory(self) -> dict[str, int]:
        return {f"server_{key}": value for key, value in scenarios.rss_bytes(self.server_pid).items()}
