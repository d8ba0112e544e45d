"""Round trips of hikari's Role through the Role message, and role queries."""

from __future__ import annotations

import dataclasses
import typing

import fidelity
import hikari
import payloads
import pytest

from hikari_kura.client import queries
from hikari_kura.client.convert import roles
from hikari_kura.v1 import queries_pb2, roles_pb2

_APP = payloads.make_app()
FULL_ROLES = payloads.roles(_APP, payloads.guild_create_payload())
EDGE_ROLES = payloads.roles(_APP, payloads.edge_guild_create_payload())


def _round_trip(role: hikari.Role, app: hikari.traits.RESTAware = _APP) -> hikari.Role:
    data = roles.role_to_proto(role).SerializeToString()
    return roles.role_from_proto(roles_pb2.Role.FromString(data), app=app)


@pytest.mark.parametrize("role", FULL_ROLES, ids=lambda role: role.name)
def test_role_round_trip_keeps_every_field(role: hikari.Role) -> None:
    result = _round_trip(role)

    fidelity.assert_same_entity(result, role)


@pytest.mark.parametrize("role", EDGE_ROLES, ids=lambda role: str(role.id))
def test_role_with_edge_values_round_trips_with_every_field(role: hikari.Role) -> None:
    result = _round_trip(role)

    fidelity.assert_same_entity(result, role)


def test_single_role_payload_with_every_tag_round_trips() -> None:
    role = payloads.role(_APP, payloads.role_payload(5))

    result = _round_trip(role)

    fidelity.assert_same_entity(result, role)
    assert result.bot_id == payloads.BOT_USER_ID
    assert result.integration_id == 1000000000000000001
    assert result.subscription_listing_id == 1000000000000000002
    assert result.is_premium_subscriber_role
    assert result.is_available_for_purchase
    assert result.is_guild_linked_role


def test_role_read_back_is_bound_to_the_given_app() -> None:
    other_app = payloads.make_app()

    assert _round_trip(FULL_ROLES[0], other_app).app is other_app


def test_role_empty_tags_read_back_as_no_tags() -> None:
    result = _round_trip(EDGE_ROLES[1])

    assert (result.bot_id, result.integration_id, result.subscription_listing_id) == (None, None, None)
    assert not (result.is_premium_subscriber_role or result.is_available_for_purchase or result.is_guild_linked_role)


def test_role_empty_unicode_emoji_and_icon_stay_apart_from_none() -> None:
    empty = _round_trip(EDGE_ROLES[1])
    none = _round_trip(EDGE_ROLES[0])

    assert (empty.unicode_emoji, type(empty.unicode_emoji)) == ("", hikari.UnicodeEmoji)
    assert empty.icon_hash == ""
    assert none.unicode_emoji is None
    assert none.icon_hash is None


def test_role_permission_bits_up_to_the_top_bit_survive() -> None:
    result = _round_trip(EDGE_ROLES[1])

    assert result.permissions == payloads.HIGH_PERMISSIONS
    assert type(result.permissions) is hikari.Permissions


def test_role_colors_keep_gradient_stops_and_their_absence() -> None:
    booster = _round_trip(FULL_ROLES[3])
    single = _round_trip(EDGE_ROLES[1])

    assert booster.colors == hikari.ColorGradient.holographic()
    assert single.colors == hikari.ColorGradient(primary_color=hikari.Color(0))
    assert single.color == 0xFFFFFF


def test_role_rtl_and_four_byte_text_survives() -> None:
    result = _round_trip(EDGE_ROLES[2])

    assert result.name == f"{payloads.HEBREW} {payloads.EMOJI}"
    assert result.unicode_emoji == payloads.EMOJI


_ROLE_QUERY_FILTERS: dict[str, tuple[object, object]] = {
    "id": (hikari.Snowflake(2**63 - 1), 2**63 - 1),
    "name": ("", ""),
    "color": (hikari.Color(0xFFFFFF), 0xFFFFFF),
    "guild_id": (5, 5),
    "is_hoisted": (False, False),
    "icon_hash": ("icon", "icon"),
    "unicode_emoji": (hikari.UnicodeEmoji("\U0001f600"), "\U0001f600"),
    "is_managed": (True, True),
    "is_mentionable": (False, False),
    "permissions": (hikari.Permissions(payloads.HIGH_PERMISSIONS), payloads.HIGH_PERMISSIONS),
    "position": (0, 0),
    "bot_id": (6, 6),
    "integration_id": (7, 7),
    "is_premium_subscriber_role": (True, True),
    "is_available_for_purchase": (False, False),
    "is_guild_linked_role": (True, True),
}


def test_role_query_filters_cover_every_query_field() -> None:
    assert set(_ROLE_QUERY_FILTERS) == {field.name for field in dataclasses.fields(queries.RoleQuery)}
    assert set(_ROLE_QUERY_FILTERS) == {field.name for field in queries_pb2.RoleQuery.DESCRIPTOR.fields}


@pytest.mark.parametrize(("name", "value", "expected"), [(k, *v) for k, v in _ROLE_QUERY_FILTERS.items()])
def test_role_query_sets_exactly_the_filter_given(name: str, value: object, expected: object) -> None:
    query = queries.RoleQuery(**typing.cast("dict[str, typing.Any]", {name: value}))

    message = roles.role_query_to_proto(query)

    assert [field.name for field, _ in message.ListFields()] == [name]
    assert getattr(message, name) == expected


def test_role_query_without_filters_sets_no_field() -> None:
    assert roles.role_query_to_proto(queries.RoleQuery()).ListFields() == []
