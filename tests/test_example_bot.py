"""The README's example bot runs against a real server: gateway events become cache writes."""

from __future__ import annotations

import pathlib
import runpy
import typing

import hikari
import payloads
import pytest
from fidelity import assert_same_entity
from hikari.impl import shard as shard_impl

from hikari_kura.client import GrpcBackend, GuildQuery, MemberQuery

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "grpc_backend_bot.py"


class _ReadyShard(shard_impl.GatewayShardImpl):
    """A real shard, never connected, that answers as one that received Discord's READY would."""

    def get_user_id(self) -> hikari.Snowflake:
        return hikari.Snowflake(payloads.BOT_USER_ID)


def test_readme_shows_the_example_bot_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text()
    code = EXAMPLE.read_text().split('"""\n\n', 1)[1]  # the module docstring stays out of the README
    assert code.strip() in readme


async def test_example_bot_stores_an_available_guild_and_forgets_a_deleted_member(
    target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = payloads.make_app()._token  # a well-formed token that is never sent anywhere
    monkeypatch.setenv("DISCORD_TOKEN", str(token))
    monkeypatch.setenv("KURA_TARGET", target)
    namespace = runpy.run_path(str(EXAMPLE), run_name="example")
    bot: hikari.GatewayBot = namespace["bot"]
    shard = _ReadyShard(
        intents=bot.intents,
        http_settings=bot.http_settings,
        proxy_settings=bot.proxy_settings,
        event_manager=bot.event_manager,
        event_factory=bot.event_factory,
        token=str(token),
        url="wss://gateway.invalid",  # never connected
    )
    data = payloads.guild_create_payload()
    available = bot.event_factory.deserialize_guild_available_event(shard, data)
    leaver = available.members[next(iter(available.members))]
    deleted = bot.event_factory.deserialize_guild_member_remove_event(
        shard, {"guild_id": data["id"], "user": typing.cast(typing.Any, data["members"])[0]["user"]}
    )

    await bot.dispatch(hikari.StartingEvent(app=bot), return_tasks=True)
    await bot.dispatch(available, return_tasks=True)
    await bot.dispatch(deleted, return_tasks=True)
    await bot.dispatch(hikari.StoppedEvent(app=bot), return_tasks=True)  # disconnects after every write is committed

    reader = GrpcBackend(target, app=payloads.make_app())
    await reader.connect()
    try:
        (guild,) = [g async for g in reader.iter_guilds(GuildQuery(id=available.guild.id))]
        assert_same_entity(guild, available.guild)
        stored = {int(m.id) async for m in reader.iter_members(MemberQuery(guild_id=available.guild.id))}
        assert stored == {int(m) for m in available.members} - {int(leaver.id)}
        assert len([c async for c in reader.iter_channels()]) == len(available.channels) + len(available.threads)
        assert len([r async for r in reader.iter_roles()]) == len(available.roles)
    finally:
        await reader.disconnect()
