"""The README's example bot runs against a real server: its gateway events go through ``Cache``."""

from __future__ import annotations

import logging
import pathlib
import runpy
import typing

import hikari
import payloads
import pytest
from gateway import Gateway, user_id

from hikari_kura.client import Cache, GrpcBackend

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cache_bot.py"


def test_readme_shows_the_example_bot_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text()
    code = EXAMPLE.read_text().split('"""\n\n', 1)[1]  # the module docstring stays out of the README
    assert code.strip() in readme


def message_payload(content: str, *, role_mentions: typing.Sequence[int] = ()) -> dict[str, typing.Any]:
    """Build a MESSAGE_CREATE payload of a guild text channel."""
    return {
        "id": "1400000000000000001",
        "channel_id": str(payloads.TEXT_ID),
        "guild_id": str(payloads.GUILD_ID),
        "author": payloads.user_payload(payloads.OWNER_ID),
        "member": {k: v for k, v in payloads.member_payload(payloads.OWNER_ID).items() if k != "user"},
        "content": content,
        "timestamp": "2026-11-26T12:00:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [str(role_id) for role_id in role_mentions],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }


async def test_example_bot_caches_its_guilds_and_answers_from_the_cache(
    target: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = payloads.make_app()._token  # a well-formed token that is never sent anywhere
    monkeypatch.setenv("DISCORD_TOKEN", str(token))
    monkeypatch.setenv("KURA_TARGET", target)
    namespace = runpy.run_path(str(EXAMPLE), run_name="example")
    bot: hikari.GatewayBot = namespace["bot"]
    # It reads members and message content: the privileged intents the README's quick start names.
    assert bot.intents & (hikari.Intents.GUILD_MEMBERS | hikari.Intents.MESSAGE_CONTENT) == (
        hikari.Intents.GUILD_MEMBERS | hikari.Intents.MESSAGE_CONTENT
    )
    cache: Cache = namespace["cache"]
    sent: list[str] = []

    async def create_message(self: object, channel: object, content: str, **_: object) -> None:
        """Discord itself cannot run here: record what the bot would have sent."""
        sent.append(content)

    monkeypatch.setattr(type(bot.rest), "create_message", create_message)
    gateway = Gateway(bot)
    await gateway.start()
    await gateway.ready([payloads.GUILD_ID])
    available = gateway.guild_available(payloads.guild_create_payload())
    await gateway.dispatch(available)
    joined = {**payloads.member_payload(user_id(7), nick="newcomer"), "guild_id": str(payloads.GUILD_ID)}
    with caplog.at_level(logging.INFO, logger="cache_bot"):
        await gateway.dispatch(gateway.event("guild_member_add", payloads.GUILD_ID, joined))
    assert f"joined guild {payloads.GUILD_ID}, which now has {len(available.members) + 1} cached members" in caplog.text

    await gateway.dispatch(gateway.event("message_create", payloads.GUILD_ID, message_payload("!channels")))
    mention = message_payload("!members <@&1>", role_mentions=[payloads.ROLE_ADMIN_ID])
    await gateway.dispatch(gateway.event("message_create", payloads.GUILD_ID, mention))
    names = sorted(c.name or "?" for c in [*available.channels.values(), *available.threads.values()])
    admins = sum(payloads.ROLE_ADMIN_ID in m.role_ids for m in available.members.values()) + 1  # the newcomer too
    assert sent == [", ".join(names), f"{admins} members hold that role"]

    await gateway.stop()
    assert typing.cast(GrpcBackend, cache.backend).session_id is None  # disconnected once the bot stopped
