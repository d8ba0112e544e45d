"""Conversions shared by every entity: times, durations, enums, permission overwrites, avatar decorations."""

from __future__ import annotations

import datetime
import types
import typing

import hikari
from google.protobuf import duration_pb2

from hikari_kura.v1 import common_pb2

from . import checks

_T = typing.TypeVar("_T")
_P = typing.TypeVar("_P", bound=int)

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)
_SECONDS_PER_DAY = 86_400
# Below this many seconds from the epoch (year 2106) a float of seconds plus microseconds
# is within half a microsecond of the exact value, so fromtimestamp rounds it back exactly.
_FAST_FROMTIMESTAMP_LIMIT = 2**32
_TIMEZONES: dict[int, datetime.timezone] = {0: datetime.UTC}
_UTC = datetime.UTC
_DateTime = common_pb2.DateTime
_fromtimestamp = datetime.datetime.fromtimestamp
_MIN_SECONDS = checks.MIN_SECONDS
_MAX_SECONDS = checks.MAX_SECONDS
_MAX_DURATION_SECONDS = checks.MAX_DURATION_SECONDS
_MAX_TEXT = checks.MAX_TEXT


class Interned(dict[int, _T]):
    """Immutable values made from ints, made once per int: ``interned[n]`` is ``make(n)``, reused.

    Snowflakes, flags, permissions and colours are immutable int subclasses and repeat across
    entities (role ids, flag combinations), so one shared object stands for every equal one.
    Kept to ``limit`` entries by starting over when full.
    """

    __slots__ = ("_limit", "_make")

    def __init__(self, make: typing.Callable[[int], _T], /, limit: int = 4096) -> None:
        super().__init__()
        self._make = make
        self._limit = limit

    def __missing__(self, key: int, /) -> _T:
        if len(self) >= self._limit:
            self.clear()
        value = self[key] = self._make(key)
        return value


class _New(typing.Protocol):
    def __call__(self, cls: type[_T], /) -> _T: ...


new_instance: typing.Final = typing.cast("_New", object.__new__)
"""``object.__new__``: with the class's own ``__init__`` called on the result, the same object as ``cls(**kwargs)``.

``cls(**kwargs)`` goes through ``type.__call__``, which packs the keywords into a dict for ``__new__`` and
``__init__`` and unpacks them again; calling the (attrs-generated) ``__init__`` directly with the same
keywords skips that, and runs exactly the same code. Only for classes :func:`plain_construction` accepts."""


def plain_construction(*classes: type) -> None:
    """Check that ``cls(**kwargs)`` is ``new_instance(cls)`` then ``cls.__init__(instance, **kwargs)`` for each class.

    That holds when neither the class nor its metaclass customises creation (no ``__new__``, no metaclass
    ``__call__``), as for hikari's attrs classes; the ``__init__`` run is the class's own either way.
    """
    object_new: object = object.__new__
    type_call: object = type.__call__
    for cls in classes:
        if cls.__new__ is not object_new or type(cls).__call__ is not type_call:
            raise TypeError(f"{cls!r} customises instance creation; construct it by calling it")


def slot_setters(cls: type, /, *names: str) -> tuple[typing.Callable[[typing.Any, typing.Any], None], ...]:
    """Return what stores each attribute of ``names`` on a ``cls`` as given, bypassing the class's ``__setattr__``.

    For attrs classes whose fields have converters (run again by their ``__init__`` and ``__setattr__``):
    a value that is already what the converter returns can be stored without running it again. ``names``
    must be every slot of ``cls``, so that an instance made with them has every attribute set.
    """
    slots = {
        name: slot
        for klass in reversed(cls.__mro__)
        for name, slot in vars(klass).items()
        if isinstance(slot, types.MemberDescriptorType)
    }
    if "__dict__" in dir(cls) or set(slots) != set(names):
        raise TypeError(f"{cls!r} is not made of exactly the slots {names!r}; construct it by calling it")
    return tuple(slots[name].__set__ for name in names)


def enums_from_proto(enum_type: typing.Callable[[int], _T], /) -> Interned[_T]:
    """Return ``enum_from_proto(enum_type, number)`` for each proto enum number, each made once and reused."""
    return Interned(lambda number: enum_type(number - 1))


SNOWFLAKES: typing.Final = Interned(hikari.Snowflake, 16_384)
"""Guild, role and channel ids, which repeat across the entities of a guild."""
COLORS: typing.Final = Interned(hikari.Color)
PERMISSIONS: typing.Final = Interned(hikari.Permissions)


def _timezone(offset_seconds: int, /) -> datetime.timezone:
    """Return the fixed-offset timezone of ``offset_seconds``, cached (offsets are bounded to a day)."""
    tz = _TIMEZONES.get(offset_seconds)
    if tz is None:
        tz = _TIMEZONES[offset_seconds] = datetime.timezone(datetime.timedelta(seconds=offset_seconds))
    return tz


def datetime_into(target: common_pb2.DateTime, value: datetime.datetime, /) -> int:
    """Write a timezone-aware datetime into a DateTime message in place, mark that message set, return its seconds.

    Setting fields of a message field where it lies is cheaper than building a DateTime and copying it in.
    The seconds are the instant's from the epoch, in UTC: near year 1 and 9999 they may be outside what
    a Timestamp holds, and the server refuses those (``timestamp_into`` does too).
    """
    if value.tzinfo is _UTC:
        # What Discord sends and hikari parses: an offset of 0, the proto3 default, left unset.
        delta = value - _EPOCH
    else:
        offset = value.utcoffset()
        if offset is None:
            raise ValueError(f"datetime must be timezone-aware, got naive {value!r}")
        if offset.microseconds:
            raise ValueError(f"datetime UTC offset must be whole seconds, got {offset!r}")
        delta = value - _EPOCH
        target.utc_offset_seconds = offset.days * _SECONDS_PER_DAY + offset.seconds
    # Integer arithmetic on the timedelta is exact; value.timestamp() is a float and is not.
    seconds = delta.days * _SECONDS_PER_DAY + delta.seconds
    nanos = delta.microseconds * 1_000
    # Assigning a field of a sub-message marks it (and its parents) set, zeros included.
    instant = target.instant
    instant.seconds = seconds
    instant.nanos = nanos
    return seconds


def timestamp_into(target: common_pb2.DateTime, value: datetime.datetime, /) -> None:
    """Write a datetime into a DateTime message in place; raise ValueError if a Timestamp cannot hold its instant."""
    if not _MIN_SECONDS <= datetime_into(target, value) <= _MAX_SECONDS:
        raise ValueError(f"datetime {value!r} is outside what a Timestamp holds (years 1 to 9999 in UTC)")


def datetime_to_proto(value: datetime.datetime, /) -> common_pb2.DateTime:
    """Convert a timezone-aware datetime to a DateTime that keeps its UTC offset."""
    message = _DateTime()
    datetime_into(message, value)
    return message


def timestamp_to_proto(value: datetime.datetime, /) -> common_pb2.DateTime:
    """Convert a datetime to a DateTime; raise ValueError for one whose instant a Timestamp cannot hold."""
    message = _DateTime()
    timestamp_into(message, value)
    return message


def datetime_from_proto(message: common_pb2.DateTime, /) -> datetime.datetime:
    """Convert a DateTime to a timezone-aware datetime in the UTC offset it was written with."""
    instant = message.instant
    seconds = instant.seconds
    offset_seconds = message.utc_offset_seconds
    tz = _TIMEZONES.get(offset_seconds) or _timezone(offset_seconds)
    if -_FAST_FROMTIMESTAMP_LIMIT < seconds < _FAST_FROMTIMESTAMP_LIMIT:
        return _fromtimestamp(seconds + instant.nanos // 1_000 / 1e6, tz)
    # Build the wall time directly: near datetime.min and max the UTC instant itself may not fit.
    wall_time = _NAIVE_EPOCH + datetime.timedelta(seconds=seconds + offset_seconds, microseconds=instant.nanos // 1_000)
    return wall_time.replace(tzinfo=tz)


def timedelta_into(target: duration_pb2.Duration, value: datetime.timedelta, /) -> None:
    """Write a timedelta into a Duration message in place, exact to the microsecond, and mark that message set.

    Raises ValueError for a timedelta longer than a Duration holds (10,000 years either way).
    """
    seconds = value.days * _SECONDS_PER_DAY + value.seconds
    if not -_MAX_DURATION_SECONDS <= seconds <= _MAX_DURATION_SECONDS:
        raise ValueError(f"timedelta {value!r} is longer than a Duration holds")
    nanos = value.microseconds * 1_000
    # A Duration's seconds and nanos must share a sign; timedelta keeps microseconds positive.
    if seconds < 0 and nanos:
        seconds += 1
        nanos -= 1_000_000_000
    # Assigning a field of a sub-message marks it set, zeros included: a zero duration is still sent.
    target.seconds = seconds
    target.nanos = nanos


def timedelta_to_proto(value: datetime.timedelta, /) -> duration_pb2.Duration:
    """Convert a timedelta to a Duration, exact to the microsecond."""
    message = duration_pb2.Duration()
    timedelta_into(message, value)
    return message


_TIMEDELTAS: typing.Final = Interned(lambda seconds: datetime.timedelta(seconds=seconds))
"""Whole-second durations (rate limits, archive durations), which repeat; a timedelta is immutable."""


def timedelta_from_proto(message: duration_pb2.Duration, /) -> datetime.timedelta:
    """Convert a Duration to a timedelta."""
    nanos = message.nanos
    if nanos:
        return datetime.timedelta(seconds=message.seconds, microseconds=nanos // 1_000)
    return _TIMEDELTAS[message.seconds]


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
    message = common_pb2.AvatarDecoration()
    avatar_decoration_into(message, decoration)
    return message


_AvatarDecoration = hikari.users.AvatarDecoration
_init_avatar_decoration = _AvatarDecoration.__init__
plain_construction(_AvatarDecoration)


def avatar_decoration_into(target: common_pb2.AvatarDecoration, decoration: hikari.users.AvatarDecoration, /) -> None:
    """Write an avatar decoration into its message in place, and mark that message set.

    Raises ValueError for what the server does not store: a negative SKU id, an asset hash over ``MAX_TEXT``.
    """
    target.SetInParent()
    target.asset_hash = asset_hash = decoration.asset_hash
    target.sku_id = sku_id = decoration.sku_id
    if sku_id < 0 or len(asset_hash) > _MAX_TEXT:
        raise ValueError("avatar decoration cannot be stored")
    expires_at = decoration.expires_at
    if expires_at is not None:
        timestamp_into(target.expires_at, expires_at)


def avatar_decoration_from_proto(message: common_pb2.AvatarDecoration, /) -> hikari.users.AvatarDecoration:
    """Convert an avatar decoration message to hikari's AvatarDecoration."""
    decoration = new_instance(_AvatarDecoration)
    _init_avatar_decoration(
        decoration,
        asset_hash=message.asset_hash,
        sku_id=SNOWFLAKES[message.sku_id],
        expires_at=datetime_from_proto(message.expires_at) if message.HasField("expires_at") else None,
    )
    return decoration


def permission_overwrite_to_proto(overwrite: hikari.PermissionOverwrite, /) -> common_pb2.PermissionOverwrite:
    """Convert a permission overwrite to its proto message."""
    return common_pb2.PermissionOverwrite(
        id=overwrite.id,
        type=enum_to_proto(common_pb2.PermissionOverwriteType, overwrite.type),
        allow=overwrite.allow,
        deny=overwrite.deny,
    )


_PermissionOverwrite = hikari.PermissionOverwrite
plain_construction(_PermissionOverwrite)
_OVERWRITE_TYPES: typing.Final = enums_from_proto(hikari.PermissionOverwriteType)
# PermissionOverwrite's converters (Snowflake, PermissionOverwriteType, Permissions) return an equal value of
# the same type when given one; the values stored here are already those (interned), so its slots are set
# directly: the same object its __init__ would make, without calling each converter again.
_set_overwrite_id, _set_overwrite_type, _set_overwrite_allow, _set_overwrite_deny = slot_setters(
    _PermissionOverwrite, "id", "type", "allow", "deny"
)


def permission_overwrite_from_proto(message: common_pb2.PermissionOverwrite, /) -> hikari.PermissionOverwrite:
    """Convert a permission overwrite message to hikari's PermissionOverwrite."""
    overwrite = new_instance(_PermissionOverwrite)
    _set_overwrite_id(overwrite, SNOWFLAKES[message.id])
    _set_overwrite_type(overwrite, _OVERWRITE_TYPES[message.type])
    _set_overwrite_allow(overwrite, PERMISSIONS[message.allow])
    _set_overwrite_deny(overwrite, PERMISSIONS[message.deny])
    return overwrite
