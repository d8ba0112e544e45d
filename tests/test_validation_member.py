"""Member validation, called directly: every field it refuses, named, and nothing refused or changed otherwise.

A valid member is decided by a cheap check that names no field; anything it does not pass goes to
the checks that name the first malformed field. These cases cover every field either can refuse, so
the cheap check cannot let through what the naming checks refuse (tests/test_errors.py covers the
same refusals end to end over gRPC, for fewer fields).
"""

from __future__ import annotations

import collections.abc

import payloads
import pytest

from hikari_kura.client.convert import members as members_
from hikari_kura.server import errors, validation
from hikari_kura.v1 import members_pb2

POSITIVE = "must be a positive snowflake"
SNOWFLAKE = "must be a snowflake from 0 to 2^63-1"
AT_MOST = "must be at most 8192 characters"
TOO_LONG = "x" * 8193
LOCAL_TIME = "local time must be between 0001-01-01 and 9999-12-31"
NANOS = "must be at least 0 and below 1000000000"
INSTANT = "must be between 0001-01-01 and 9999-12-31"
IN_A_DAY = "must be between -86399 and 86399 (less than a day)"


def _members() -> list[members_pb2.Member]:
    app = payloads.make_app()
    return [members_.member_to_proto(member) for member in payloads.members(app, payloads.guild_create_payload())]


def _richest() -> members_pb2.Member:
    """The payload member with the most optional parts set, so that each edit below has something to break."""
    return max(_members(), key=lambda message: len(message.ListFields()) + len(message.user.ListFields()))


Edit = collections.abc.Callable[[members_pb2.Member], object]


def _joined_at_local_day_before_year_one(message: members_pb2.Member) -> None:
    message.joined_at.instant.seconds = validation.MIN_SECONDS
    message.joined_at.utc_offset_seconds = -1


REFUSED: dict[str, tuple[Edit, str]] = {
    "guild zero": (lambda m: setattr(m, "guild_id", 0), f"m.guild_id: {POSITIVE}"),
    "guild negative": (lambda m: setattr(m, "guild_id", -5), f"m.guild_id: {POSITIVE}"),
    "no user": (lambda m: m.ClearField("user"), "m.user: is required"),
    "user id zero": (lambda m: setattr(m.user, "id", 0), f"m.user.id: {POSITIVE}"),
    "user id negative": (lambda m: setattr(m.user, "id", -1), f"m.user.id: {POSITIVE}"),
    "primary guild id negative": (
        lambda m: setattr(m.user.primary_guild, "identity_guild_id", -1),
        f"m.user.primary_guild.identity_guild_id: {SNOWFLAKE}",
    ),
    "first role negative": (lambda m: m.role_ids.insert(0, -1), f"m.role_ids[0]: {SNOWFLAKE}"),
    "second role negative": (lambda m: m.role_ids.insert(1, -3), f"m.role_ids[1]: {SNOWFLAKE}"),
    "user decoration sku negative": (
        lambda m: setattr(m.user.avatar_decoration, "sku_id", -1),
        f"m.user.avatar_decoration.sku_id: {SNOWFLAKE}",
    ),
    "guild decoration sku negative": (
        lambda m: setattr(m.guild_avatar_decoration, "sku_id", -(2**63)),
        f"m.guild_avatar_decoration.sku_id: {SNOWFLAKE}",
    ),
    "nickname": (lambda m: setattr(m, "nickname", TOO_LONG), f"m.nickname: {AT_MOST}"),
    "username": (lambda m: setattr(m.user, "username", TOO_LONG), f"m.user.username: {AT_MOST}"),
    "discriminator": (lambda m: setattr(m.user, "discriminator", TOO_LONG), f"m.user.discriminator: {AT_MOST}"),
    "primary guild tag": (
        lambda m: setattr(m.user.primary_guild, "tag", TOO_LONG),
        f"m.user.primary_guild.tag: {AT_MOST}",
    ),
    "guild decoration hash": (
        lambda m: setattr(m.guild_avatar_decoration, "asset_hash", TOO_LONG),
        f"m.guild_avatar_decoration.asset_hash: {AT_MOST}",
    ),
    "joined_at nanos": (lambda m: setattr(m.joined_at.instant, "nanos", -1), f"m.joined_at.instant.nanos: {NANOS}"),
    "joined_at after 9999": (
        lambda m: setattr(m.joined_at.instant, "seconds", validation.MAX_SECONDS + 1),
        f"m.joined_at.instant: {INSTANT}",
    ),
    "joined_at offset": (
        lambda m: setattr(m.joined_at, "utc_offset_seconds", 86_400),
        f"m.joined_at.utc_offset_seconds: {IN_A_DAY}",
    ),
    "joined_at local day before year 1": (_joined_at_local_day_before_year_one, f"m.joined_at: {LOCAL_TIME}"),
    "premium_since": (
        lambda m: setattr(m.premium_since.instant, "nanos", 1_000_000_000),
        f"m.premium_since.instant.nanos: {NANOS}",
    ),
    "communication disabled until": (
        lambda m: setattr(m.raw_communication_disabled_until, "utc_offset_seconds", -86_400),
        f"m.raw_communication_disabled_until.utc_offset_seconds: {IN_A_DAY}",
    ),
    "guild decoration expiry": (
        lambda m: setattr(m.guild_avatar_decoration.expires_at.instant, "seconds", validation.MIN_SECONDS - 1),
        f"m.guild_avatar_decoration.expires_at.instant: {INSTANT}",
    ),
    "user decoration expiry": (
        lambda m: setattr(m.user.avatar_decoration.expires_at.instant, "nanos", 2_000_000_000),
        f"m.user.avatar_decoration.expires_at.instant.nanos: {NANOS}",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_member_is_refused_naming_the_malformed_field(case: str) -> None:
    edit, expected = REFUSED[case]
    message = _richest()
    edit(message)

    with pytest.raises(errors.InvalidArgument) as raised:
        validation.member(message, "m")

    assert raised.value.message == expected


def test_first_problem_is_named_when_a_member_has_several() -> None:
    message = _richest()
    message.user.username = TOO_LONG
    message.role_ids.insert(1, -1)
    message.joined_at.instant.nanos = -1

    with pytest.raises(errors.InvalidArgument) as raised:
        validation.member(message, "m")

    assert raised.value.message == f"m.role_ids[1]: {SNOWFLAKE}"


def test_valid_members_at_the_bounds_pass_and_are_left_as_they_were() -> None:
    edges: list[Edit] = [
        lambda m: None,
        lambda m: setattr(m, "nickname", "n" * validation.MAX_TEXT),
        lambda m: setattr(m.joined_at.instant, "seconds", validation.MAX_SECONDS),
        lambda m: setattr(m.joined_at, "utc_offset_seconds", -validation.MAX_UTC_OFFSET),
        lambda m: m.ClearField("joined_at"),
        lambda m: setattr(m.premium_since.instant, "nanos", 999_999_999),
        lambda m: setattr(m.user.primary_guild, "tag", "TAG"),
        lambda m: m.ClearField("role_ids"),
        # References may be 0: hikari holds it (a forum tag being made has id 0), only keys are positive.
        lambda m: m.role_ids.insert(0, 0),
        lambda m: setattr(m.user.primary_guild, "identity_guild_id", 0),
        lambda m: setattr(m.user.avatar_decoration, "sku_id", 0),
        lambda m: setattr(m.guild_avatar_decoration, "sku_id", 0),
        lambda m: m.role_ids.append(2**63 - 1),
    ]
    for edit in edges:
        for message in _members():
            edit(message)
            before = message.SerializeToString()

            validation.member(message, "m")

            assert message.SerializeToString() == before
