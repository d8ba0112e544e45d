"""Every value hikari can hold round-trips: drawn GUILD_CREATEs read back equal through every write path.

Hypothesis draws gateway-shaped GUILD_CREATE payloads with extreme and random values in every
field (``payload_strategies``), hikari's entity factory builds the guild, its channels and
threads, roles and members, and each example writes them through single writes, through bulk
writes, and through ``Cache`` (a GUILD_CREATE dispatched to a real bot), on a real server over
each engine. Each time every object reads back equal in every attrs field, and is found again by
a query that sets every filter to its own values.

CI runs the ``kura-fidelity`` profile: a fixed (derandomized) set of examples, a few seconds per
engine. ``KURA_FIDELITY_EXAMPLES=500 .venv/bin/pytest tests/test_fidelity_property.py`` runs that
many fresh random examples instead.
"""

from __future__ import annotations

import os
import typing

import hikari
import hypothesis
import payload_strategies
import payloads
from fidelity import assert_same_entity
from gateway import Bot

from hikari_kura.client import ChannelQuery, GrpcBackend, GuildQuery, MemberQuery, RoleQuery

hypothesis.settings.register_profile(
    "kura-fidelity",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
_LONG_RUN = os.environ.get("KURA_FIDELITY_EXAMPLES")
hypothesis.settings.register_profile(
    "kura-fidelity-long",
    hypothesis.settings.get_profile("kura-fidelity"),
    max_examples=int(_LONG_RUN or 0) or 1,
    derandomize=False,
)
FIDELITY = hypothesis.settings(hypothesis.settings.get_profile("kura-fidelity-long" if _LONG_RUN else "kura-fidelity"))

Entities: typing.TypeAlias = dict[object, typing.Any]


class Drawn(typing.NamedTuple):
    """What hikari's entity factory made of one drawn GUILD_CREATE."""

    payload: payloads.JSONObject
    guild: hikari.GatewayGuild
    channels: list[hikari.GuildChannel]
    roles: list[hikari.Role]
    members: list[hikari.Member]


def _drawn(app: hikari.GatewayBot, payload: payloads.JSONObject) -> Drawn:
    made = payloads.deserialize_guild(app, payload)
    return Drawn(
        payload,
        made.guild(),
        [*made.channels().values(), *made.threads().values()],
        list(made.roles().values()),
        list(made.members().values()),
    )


class Stored(typing.NamedTuple):
    guilds: Entities
    channels: Entities
    roles: Entities
    members: Entities


async def _stored(backend: GrpcBackend) -> Stored:
    return Stored(
        {guild.id: guild async for guild in backend.iter_guilds()},
        {channel.id: channel async for channel in backend.iter_channels()},
        {role.id: role async for role in backend.iter_roles()},
        {(member.guild_id, member.id): member async for member in backend.iter_members()},
    )


def _assert_all_equal(stored: Entities, expected: Entities, kind: str) -> None:
    assert stored.keys() == expected.keys(), kind
    for key, entity in expected.items():
        assert_same_entity(stored[key], entity)


async def _assert_read_back(backend: GrpcBackend, drawn: Drawn) -> None:
    """Assert the cache holds exactly the drawn objects, each equal in every field and found by its own filters."""
    stored = await _stored(backend)
    _assert_all_equal(stored.guilds, {drawn.guild.id: drawn.guild}, "guilds")
    _assert_all_equal(stored.channels, {channel.id: channel for channel in drawn.channels}, "channels")
    _assert_all_equal(stored.roles, {role.id: role for role in drawn.roles}, "roles")
    _assert_all_equal(stored.members, {(member.guild_id, member.id): member for member in drawn.members}, "members")
    await _assert_found_by_every_filter(backend, drawn)


def _filters(query_type: type, entity: object, **extra: object) -> dict[str, object]:
    """Return every filter of ``query_type`` set to the value ``entity`` holds (None: hikari has none)."""
    names = query_type.__dataclass_fields__  # type: ignore[attr-defined]
    return {name: getattr(entity, name, None) for name in names if name not in extra} | extra


async def _assert_found_by_every_filter(backend: GrpcBackend, drawn: Drawn) -> None:
    """Assert a query setting every filter to an object's own values finds it: each column keeps its field's value."""
    found = [guild.id async for guild in backend.iter_guilds(GuildQuery(**_filters(GuildQuery, drawn.guild)))]
    assert found == [drawn.guild.id]
    for channel in drawn.channels:
        query = ChannelQuery(**_filters(ChannelQuery, channel))
        assert [found.id async for found in backend.iter_channels(query)] == [channel.id]
    for role in drawn.roles:
        query = RoleQuery(**_filters(RoleQuery, role))
        assert [found.id async for found in backend.iter_roles(query)] == [role.id]
    for member in drawn.members:
        query = MemberQuery(**_filters(MemberQuery, member, role_id=member.role_ids[0]))
        assert [found.id async for found in backend.iter_members(query)] == [member.id]


async def _clear(backend: GrpcBackend) -> None:
    await backend.clear(channels=True, guilds=True, members=True, roles=True)


@FIDELITY
@hypothesis.given(payload=payload_strategies.guild_create(bot_user_id=payloads.BOT_USER_ID))
async def test_every_value_hikari_holds_reads_back_equal_through_every_write_path(
    backend: GrpcBackend, bot: Bot, app: hikari.GatewayBot, payload: payloads.JSONObject
) -> None:
    drawn = _drawn(app, payload)

    await _clear(backend)
    written = [await backend.guild_join(drawn.guild, confirm=True)]
    written += [await backend.channel_create(channel, confirm=True) for channel in drawn.channels]
    written += [await backend.role_create(role, confirm=True) for role in drawn.roles]
    written += [await backend.member_create(member, confirm=True) for member in drawn.members]
    for future in written:
        await future
    await _assert_read_back(backend, drawn)

    await _clear(backend)
    await (await backend.guild_join(drawn.guild, confirm=True))
    await (await backend.bulk_channels(drawn.channels, confirm=True))
    await (await backend.bulk_roles(drawn.roles, confirm=True))
    await (await backend.bulk_members(drawn.members, confirm=True))
    await _assert_read_back(backend, drawn)

    await _clear(backend)
    await bot.gateway.dispatch(bot.gateway.guild_available(payload))
    await bot.backend.flush()
    assert bot.backend.failed_writes == 0
    await _assert_read_back(backend, drawn)
