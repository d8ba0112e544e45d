"""Round trips of hikari's Member with its user through the Member message, and member queries."""

from __future__ import annotations

import dataclasses
import datetime
import typing

import fidelity
import hikari
import payloads
import pytest

from hikari_kura.client import queries
from hikari_kura.client.convert import members
from hikari_kura.v1 import members_pb2, queries_pb2

_APP = payloads.make_app()
FULL_MEMBERS = payloads.members(_APP, payloads.guild_create_payload())
EDGE_MEMBERS = payloads.members(_APP, payloads.edge_guild_create_payload())


def _round_trip(member: hikari.Member, app: hikari.traits.RESTAware = _APP) -> hikari.Member:
    data = members.member_to_proto(member).SerializeToString()
    return members.member_from_proto(members_pb2.Member.FromString(data), app=app)


@pytest.mark.parametrize("member", FULL_MEMBERS, ids=lambda member: str(member.id))
def test_member_round_trip_keeps_every_field_of_member_and_user(member: hikari.Member) -> None:
    result = _round_trip(member)

    fidelity.assert_same_entity(result, member)


@pytest.mark.parametrize("member", EDGE_MEMBERS, ids=lambda member: str(member.id))
def test_member_with_edge_values_round_trips_with_every_field(member: hikari.Member) -> None:
    result = _round_trip(member)

    fidelity.assert_same_entity(result, member)


def test_member_user_is_a_user_impl_bound_to_the_given_app() -> None:
    other_app = payloads.make_app()

    result = _round_trip(FULL_MEMBERS[0], other_app)

    assert type(result.user) is hikari.users.UserImpl
    assert result.user.app is other_app
    assert result.app is other_app


def test_member_flags_discord_did_not_send_stay_undefined() -> None:
    member = payloads.member(
        _APP, payloads.member_payload(5, deaf=payloads.OMIT, mute=payloads.OMIT, pending=payloads.OMIT)
    )
    message = members.member_to_proto(member)

    result = _round_trip(member)

    assert not message.HasField("is_deaf")
    assert not message.HasField("is_mute")
    assert not message.HasField("is_pending")
    assert result.is_deaf is hikari.UNDEFINED
    assert result.is_mute is hikari.UNDEFINED
    assert result.is_pending is hikari.UNDEFINED


def test_member_flags_false_stay_false_not_undefined() -> None:
    member = payloads.member(_APP, payloads.member_payload(5, deaf=False, mute=False, pending=False))

    result = _round_trip(member)

    assert (result.is_deaf, result.is_mute, result.is_pending) == (False, False, False)


def test_member_empty_nickname_stays_apart_from_none() -> None:
    empty, none = (_round_trip(member) for member in EDGE_MEMBERS)

    assert empty.nickname == ""
    assert none.nickname is None
    assert empty.guild_banner_hash == ""
    assert none.guild_banner_hash is None


def test_member_with_no_roles_keeps_only_the_everyone_role() -> None:
    result = _round_trip(EDGE_MEMBERS[0])

    assert result.role_ids == [payloads.EDGE_GUILD_ID]


def test_member_snowflakes_near_two_to_the_63_survive() -> None:
    result = _round_trip(EDGE_MEMBERS[0])

    assert result.id == 2**63 - 1
    assert result.guild_id == 2**63 - 1
    assert result.user.avatar_decoration is not None
    assert result.user.avatar_decoration.sku_id == 2**63 - 1


def test_member_timestamps_keep_their_offsets() -> None:
    result = _round_trip(EDGE_MEMBERS[0])

    assert result.premium_since is not None
    assert result.premium_since.isoformat() == "2019-05-17T19:55:11.000001-07:00"
    assert result.raw_communication_disabled_until is not None
    assert result.raw_communication_disabled_until.utcoffset() == datetime.timedelta(hours=5, minutes=30)


def test_member_avatar_decoration_expiring_at_the_end_of_time_survives() -> None:
    result = _round_trip(EDGE_MEMBERS[1])

    assert result.guild_avatar_decoration is not None
    assert result.guild_avatar_decoration.expires_at == datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


def test_member_user_primary_guild_of_nulls_stays_apart_from_none() -> None:
    all_null, with_values = (_round_trip(member).user.primary_guild for member in EDGE_MEMBERS)
    without = _round_trip(FULL_MEMBERS[2]).user.primary_guild

    assert all_null == hikari.PrimaryGuild(identity_guild_id=None, identity_enabled=None, tag=None, badge_hash=None)
    assert with_values == hikari.PrimaryGuild(
        identity_guild_id=hikari.Snowflake(2**53 + 1), identity_enabled=False, tag="", badge_hash=""
    )
    assert without is None


def test_member_user_accent_color_zero_stays_apart_from_none() -> None:
    zero, none = (_round_trip(member).user.accent_color for member in EDGE_MEMBERS)

    assert (zero, type(zero)) == (0, hikari.Color)
    assert none is None


def test_member_flags_with_unknown_bits_survive() -> None:
    result = _round_trip(EDGE_MEMBERS[0])

    assert result.guild_flags == 1 << 30 | 1
    assert result.user.flags == 1 << 50 | 1 << 44


def test_member_rtl_and_four_byte_text_survives() -> None:
    arabic, hebrew = (_round_trip(member).user.username for member in EDGE_MEMBERS)

    assert arabic == payloads.ARABIC
    assert hebrew == payloads.HEBREW + payloads.EMOJI


_MEMBER_QUERY_FILTERS: dict[str, tuple[object, object]] = {
    "guild_id": (hikari.Snowflake(2**63 - 1), 2**63 - 1),
    "id": (5, 5),
    "nickname": ("", ""),
    "guild_avatar_hash": ("avatar", "avatar"),
    "guild_banner_hash": ("banner", "banner"),
    "guild_flags": (hikari.GuildMemberFlags.DID_REJOIN | hikari.GuildMemberFlags.COMPLETED_ONBOARDING, 3),
    "role_id": (6, 6),
}


def test_member_query_filters_cover_every_query_field() -> None:
    assert set(_MEMBER_QUERY_FILTERS) == {field.name for field in dataclasses.fields(queries.MemberQuery)}
    assert set(_MEMBER_QUERY_FILTERS) == {field.name for field in queries_pb2.MemberQuery.DESCRIPTOR.fields}


@pytest.mark.parametrize(("name", "value", "expected"), [(k, *v) for k, v in _MEMBER_QUERY_FILTERS.items()])
def test_member_query_sets_exactly_the_filter_given(name: str, value: object, expected: object) -> None:
    query = queries.MemberQuery(**typing.cast("dict[str, typing.Any]", {name: value}))

    message = members.member_query_to_proto(query)

    assert [field.name for field, _ in message.ListFields()] == [name]
    assert getattr(message, name) == expected


def test_member_query_without_filters_sets_no_field() -> None:
    assert members.member_query_to_proto(queries.MemberQuery()).ListFields() == []
