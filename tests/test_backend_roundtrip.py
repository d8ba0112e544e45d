"""Every entity of a GUILD_CREATE, written through every write path, reads back equal through iter_*."""

from __future__ import annotations

import typing

import hikari
import payloads
import pytest
from fidelity import assert_same_entity

from hikari_kura.client import ChannelQuery, GrpcBackend, GuildQuery, MemberQuery, RoleQuery

PAYLOADS = {"full": payloads.guild_create_payload, "edge": payloads.edge_guild_create_payload}


async def _collect(iterator: typing.AsyncIterator[typing.Any]) -> list[typing.Any]:
    return [item async for item in iterator]


def _by_id(items: list[typing.Any]) -> dict[int, typing.Any]:
    return {int(item.id): item for item in items}


@pytest.mark.parametrize("payload", PAYLOADS.keys())
async def test_single_writes_read_back_equal(backend: GrpcBackend, app: hikari.GatewayBot, payload: str) -> None:
    data = PAYLOADS[payload]()
    guild = payloads.guild(app, data)
    channels = [*payloads.channels(app, data), *payloads.threads(app, data)]
    members = payloads.members(app, data)
    roles = payloads.roles(app, data)

    await (await backend.guild_join(guild, confirm=True))
    for channel in channels:
        await backend.channel_create(channel, confirm=False)
    for member in members:
        await backend.member_create(member, confirm=False)
    for role in roles:
        await backend.role_create(role, confirm=False)
    await backend.flush()

    (stored_guild,) = await _collect(backend.iter_guilds(GuildQuery(id=guild.id)))
    assert_same_entity(stored_guild, guild)
    stored_channels = _by_id(await _collect(backend.iter_channels(ChannelQuery(guild_id=guild.id))))
    assert stored_channels.keys() == _by_id(channels).keys()
    for channel in channels:
        assert_same_entity(stored_channels[int(channel.id)], channel)
    stored_members = _by_id(await _collect(backend.iter_members(MemberQuery(guild_id=guild.id))))
    assert stored_members.keys() == _by_id(members).keys()
    for member in members:
        assert_same_entity(stored_members[int(member.id)], member)
    stored_roles = _by_id(await _collect(backend.iter_roles(RoleQuery(guild_id=guild.id))))
    assert stored_roles.keys() == _by_id(roles).keys()
    for role in roles:
        assert_same_entity(stored_roles[int(role.id)], role)


@pytest.mark.parametrize("payload", PAYLOADS.keys())
async def test_bulk_writes_read_back_equal(backend: GrpcBackend, app: hikari.GatewayBot, payload: str) -> None:
    data = PAYLOADS[payload]()
    channels = [*payloads.channels(app, data), *payloads.threads(app, data)]
    members = payloads.members(app, data)
    roles = payloads.roles(app, data)

    await (await backend.bulk_channels(channels, confirm=True))
    await (await backend.bulk_members(members, confirm=True))
    await (await backend.bulk_roles(roles, confirm=True))

    stored_channels = _by_id(await _collect(backend.iter_channels()))
    for channel in channels:
        assert_same_entity(stored_channels[int(channel.id)], channel)
    stored_members = _by_id(await _collect(backend.iter_members()))
    for member in members:
        assert_same_entity(stored_members[int(member.id)], member)
    stored_roles = _by_id(await _collect(backend.iter_roles()))
    for role in roles:
        assert_same_entity(stored_roles[int(role.id)], role)
