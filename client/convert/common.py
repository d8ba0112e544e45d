"""Conversions shared by every entity: times, durations, enums, permission overwrites, avatar decorations."""

from __future__ import annotations

import datetime
import typing

import hikari
from google.protobuf import duration_pb2

from hikari_kura.v1 import common_pb2

_T = typing.TypeVar("_T")
_P = typing.TypeVar("_P", bound=int)

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)
_SECONDS_PER_DAY = 86_400
# Below this many seconds from the epoch (year 2106) a float of seconds plus microseconds
# is within half a microsecond of the exact value, so fromtimestamp rounds it back exactly.
_FAST_FROMTIMESTAMP_LIMIT = 2**32
_TIMEZONES: dict[int, datetime.timezone] = {0: datetime.UTC}


def _timezone(offset_seconds: int, /) -> datetime.timezone:
    """Return the fixed-offset timezone of ``offset_seconds``, cached (offsets are bounded to a day)."""
    tz = _TIMEZONES.get(offset_seconds)
    if tz is None:
        tz = _TIMEZONES[offset_seconds] = datetime.timezone(datetime.timedelta(seconds=offset_seconds))
    return tz


def datetime_to_proto(value: datetime.datetime, /) -> common_pb2.DateTime:
    """Convert a timezone-aware datetime to a DateTime that keeps its UTC offset."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {value!r}")
    if offset.microseconds:
        raise ValueError(f"datetime UTC offset must be whole seconds, got {offset!r}")
    # Integer arithmetic on the timedelta is exact; value.timestamp() is a float and is not.
    delta = value - _EPOCH
    message = common_pb2.DateTime(utc_offset_seconds=offset.days * _SECONDS_PER_DAY + offset.seconds)
    instant = message.instant
    instant.seconds = delta.days * _SECONDS_PER_DAY + delta.seconds
    instant.nanos = delta.microseconds * 1_000
    return message


def datetime_from_proto(message: common_pb2.DateTime, /) -> datetime.datetime:
    """Convert a DateTime to a timezone-aware datetime in the UTC offset it was written with."""
    instant = message.instant
    seconds = instant.seconds
    offset_seconds = message.utc_offset_seconds
    tz = _TIMEZONES.get(offset_seconds) or _timezone(offset_seconds)
    if -_FAST_FROMTIMESTAMP_LIMIT < seconds < _FAST_FROMTIMESTAMP_LIMIT:
        return datetime.datetime.fromtimestamp(seconds + instant.nanos // 1_000 / 1e6, tz)
    # Build the wall time directly: near datetime.min and max the UTC instant itself may not fit.
    wall_time = _NAIVE_EPOCH + datetime.timedelta(seconds=seconds + offset_seconds, microseconds=instant.nanos // 1_000)
    return wall_time.replace(tzinfo=tz)


def timedelta_to_proto(value: datetime.timedelta, /) -> duration_pb2.Duration:
    """Convert a timedelta to a Duration, exact to the microsecond."""
    seconds = value.days * _SECONDS_PER_DAY + value.seconds
    nanos = value.microseconds * 1_000
    # A Duration's seconds and nanos must share a sign; timedelta keeps microseconds positive.
    if seconds < 0 and nanos:
        seconds += 1
        nanos -= 1_000_000_000
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


def timedelta_from_proto(message: duration_pb2.Duration, /) -> datetime.timedelta:
    """Convert a Duration to a timedelta."""
    return datetime.timedelta(seconds=message.seconds, microseconds=message.nanos // 1_000)


def enum_to_proto(proto_enum: type[_P], value: int, /) -> _P:
    """Return the ``proto_enum`` number of a Discord enum value: Discord's value plus one."""
    # 0 is each proto enum's UNSPECIFIED, so Discord's 0 travels as 1. Values hikari does not
    # know (plain ints) shift the same way and so survive a round trip: proto3 enums are open.
    return typing.cast("_P", value + 1)


def enum_from_proto(enum_type: typing.Callable[[int], _T], value: int, /) -> _T:
    """Return the hikari enum member of a proto enum number (a plain int when hikari does not know it)."""
    return enum_type(value - 1)


def avatar_decoration_to_proto(decoration: hikari.users.AvatarDecoration, /) -> common_pb2.AvatarDecoration:
    """Convert an avatar decoration to its proto message."""
    expires_at = decoration.expires_at
    return common_pb2.AvatarDecoration(
        asset_hash=decoration.asset_hash,
        sku_id=decoration.sku_id,
        expires_at=None if expires_at is None else datetime_to_proto(expires_at),
    )


def avatar_decoration_from_proto(message: common_pb2.AvatarDecoration, /) -> hikari.users.AvatarDecoration:
    """Convert an avatar decoration message to hikari's AvatarDecoration."""
    return hikari.users.AvatarDecoration(
        asset_hash=message.asset_hash,
        sku_id=hikari.Snowflake(message.sku_id),
        expires_at=datetime_from_proto(message.expires_at) if message.HasField("expires_at") else None,
    )


def permission_overwrite_to_proto(overwrite: hikari.PermissionOverwrite, /) -> common_pb2.PermissionOverwrite:
    """Convert a permission overwrite to its proto message."""
    return common_pb2.PermissionOverwrite(
        id=overwrite.id,
        type=enum_to_proto(common_pb2.PermissionOverwriteType, overwrite.type),
        allow=overwrite.allow,
        deny=overwrite.deny,
    )


def permission_overwrite_from_proto(message: common_pb2.PermissionOverwrite, /) -> hikari.PermissionOverwrite:
    """Convert a permission overwrite message to hikari's PermissionOverwrite."""
    # PermissionOverwrite's converters make the Snowflake, the type enum and the Permissions.
    return hikari.PermissionOverwrite(id=message.id, type=message.type - 1, allow=message.allow, deny=message.deny)
