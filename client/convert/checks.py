"""What the server stores, and the one place that names why an object cannot be stored.

Conversions check, cheaply, only what protobuf does not refuse by itself: keys positive,
references not negative, text within ``MAX_TEXT``, times and durations a ``Timestamp`` and a
``Duration`` hold. Protobuf refuses the rest as it is written: an integer out of its field's
range, a negative value in an unsigned field, text that is not valid Unicode. Either way the
conversion calls ``refusal``, which walks the hikari object against its message's schema
(the proto field names are hikari's attribute names) and names the first field that cannot be
stored, in hikari's terms: ``channel id=1 guild_id=2: permission_overwrites[3].allow: ...``.
"""

from __future__ import annotations

import collections.abc
import datetime
import functools
import typing

import hikari
from google.protobuf import descriptor, duration_pb2

from hikari_kura.client import errors
from hikari_kura.v1 import channels_pb2, common_pb2, guilds_pb2, members_pb2, roles_pb2

MAX_TEXT: typing.Final = 8192
"""Longest text the server stores, in characters (its documented limit, far above Discord's own)."""
MAX_SNOWFLAKE: typing.Final = (1 << 63) - 1
"""Largest snowflake a signed 64-bit field holds: ``hikari.Snowflake.max()``."""
MIN_SECONDS: typing.Final = -62_135_596_800
"""0001-01-01T00:00:00Z in seconds from the epoch: the earliest instant a Timestamp holds."""
MAX_SECONDS: typing.Final = 253_402_300_799
"""9999-12-31T23:59:59Z in seconds from the epoch: the latest instant a Timestamp holds."""
MAX_DURATION_SECONDS: typing.Final = 315_576_000_000
"""Longest Duration, either way, in seconds (10,000 years), as protobuf defines it."""

_KEYS: typing.Final[dict[str, frozenset[str]]] = {
    "Guild": frozenset({"id"}),
    "GuildChannel": frozenset({"id", "guild_id"}),
    "Member": frozenset({"guild_id"}),
    "User": frozenset({"id"}),
    "Role": frozenset({"id", "guild_id"}),
}
"""Snowflakes that are keys of what is stored, by message: positive. Every other snowflake may be 0."""
_ATTRIBUTES: typing.Final[dict[tuple[str, str], str]] = {("ForumTag", "emoji_name"): "unicode_emoji"}
"""The hikari attribute of a field whose name is not hikari's."""
_FLATTENED: typing.Final = frozenset({"kind"})
"""Oneofs whose messages hold attributes of the object itself (a channel's kind), not of an attribute of it."""
_INTEGER_RANGES: typing.Final[dict[int, tuple[int, int, str]]] = {
    descriptor.FieldDescriptor.TYPE_INT32: (-(1 << 31), (1 << 31) - 1, "from -2^31 to 2^31-1"),
    descriptor.FieldDescriptor.TYPE_UINT32: (0, (1 << 32) - 1, "from 0 to 2^32-1"),
    descriptor.FieldDescriptor.TYPE_INT64: (-(1 << 63), (1 << 63) - 1, "from -2^63 to 2^63-1"),
    descriptor.FieldDescriptor.TYPE_UINT64: (0, (1 << 64) - 1, "from 0 to 2^64-1"),
}
_ENUM_RANGE: typing.Final = (-(1 << 31) - 1, (1 << 31) - 2)
"""Discord values an enum field holds: they travel as the value plus one, in 32 bits."""
_EPOCH: typing.Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_SECOND: typing.Final = datetime.timedelta(seconds=1)
_DATETIME: typing.Final = common_pb2.DateTime.DESCRIPTOR.full_name
_DURATION: typing.Final = duration_pb2.Duration.DESCRIPTOR.full_name

_MESSAGES: typing.Final[dict[str, descriptor.Descriptor]] = {
    message.DESCRIPTOR.name: typing.cast(descriptor.Descriptor, message.DESCRIPTOR)
    for message in (guilds_pb2.Guild, channels_pb2.GuildChannel, members_pb2.Member, roles_pb2.Role)
}
"""The message each stored kind is sent as, by name."""

_Problem: typing.TypeAlias = "tuple[str, str] | None"
"""A field that cannot be stored, as (its path in hikari's attributes, why), or None."""


class _Field(typing.NamedTuple):
    field: descriptor.FieldDescriptor
    attribute: str
    is_key: bool


@functools.cache
def _fields(message_type: descriptor.Descriptor) -> tuple[_Field, ...]:
    """Return the fields of a message with the hikari attribute each reads, flattened oneofs' fields included."""
    found: list[_Field] = []
    seen: set[str] = set()
    keys = _KEYS.get(message_type.name, frozenset())
    for field in message_type.fields:
        oneof = field.containing_oneof
        if oneof is not None and oneof.name in _FLATTENED:
            inner = [item for item in _fields(field.message_type) if item.attribute not in seen]
        else:
            attribute = _ATTRIBUTES.get((message_type.name, field.name), field.name)
            inner = [_Field(field, attribute, field.name in keys)] if attribute not in seen else []
        seen.update(item.attribute for item in inner)
        found.extend(inner)
    return tuple(found)


def _is_snowflake(field: descriptor.FieldDescriptor) -> bool:
    name = field.name
    return field.type == descriptor.FieldDescriptor.TYPE_INT64 and (name == "id" or name.endswith(("_id", "_ids")))


def _datetime_problem(value: object) -> str | None:
    if not isinstance(value, datetime.datetime):
        return f"must be a datetime, not {type(value).__name__}"
    offset = value.utcoffset()
    if offset is None:
        return "must be timezone-aware"
    if offset % _SECOND:
        return f"UTC offset must be whole seconds, not {offset}"
    delta = value - _EPOCH
    if not MIN_SECONDS <= delta.days * 86_400 + delta.seconds <= MAX_SECONDS:
        return "must be between 0001-01-01 and 9999-12-31 in UTC"
    return None


def _duration_problem(value: object) -> str | None:
    if not isinstance(value, datetime.timedelta):
        return f"must be a timedelta, not {type(value).__name__}"
    if not -MAX_DURATION_SECONDS <= value.days * 86_400 + value.seconds <= MAX_DURATION_SECONDS:
        return f"must be between -{MAX_DURATION_SECONDS} and {MAX_DURATION_SECONDS} seconds"
    return None


def _text_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if len(value) > MAX_TEXT:
        return f"must be at most {MAX_TEXT} characters"
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        return f"must be valid Unicode: {exc.reason} at character {exc.start}"
    return None


def _scalar_problem(item: _Field, value: object) -> str | None:
    """Return why one value (one item of a repeated field) cannot be stored in ``item``'s field, or None."""
    field = item.field
    if field.message_type is not None:  # a DateTime or a Duration (_is_scalar)
        return _datetime_problem(value) if field.message_type.full_name == _DATETIME else _duration_problem(value)
    kind = field.type
    if kind == descriptor.FieldDescriptor.TYPE_STRING:
        return _text_problem(value)
    if kind == descriptor.FieldDescriptor.TYPE_BOOL:
        return None if isinstance(value, int) else f"must be true or false, not {type(value).__name__}"
    if not isinstance(value, int):
        return f"must be an integer, not {type(value).__name__}"
    if kind == descriptor.FieldDescriptor.TYPE_ENUM:
        low, high = _ENUM_RANGE
        return None if low <= value <= high else f"must be from {low} to {high}"
    if _is_snowflake(field):
        if item.is_key:
            return None if 0 < value <= MAX_SNOWFLAKE else "must be a positive snowflake, at most 2^63-1"
        return None if 0 <= value <= MAX_SNOWFLAKE else "must be a snowflake from 0 to 2^63-1"
    low, high, words = _INTEGER_RANGES[kind]
    return None if low <= value <= high else f"must be {words}"


def _is_scalar(field: descriptor.FieldDescriptor) -> bool:
    return field.message_type is None or field.message_type.full_name in (_DATETIME, _DURATION)


def _problem(entity: object, message_type: descriptor.Descriptor, path: str) -> _Problem:
    """Return the first field of ``entity``, stored as a ``message_type``, that cannot be stored."""
    for item in _fields(message_type):
        value = getattr(entity, item.attribute, None)
        if value is None or value is hikari.UNDEFINED:
            continue  # left unset (or hikari has no such attribute): nothing to store
        at = f"{path}{item.attribute}"
        if item.field.is_repeated:
            if isinstance(value, collections.abc.Mapping):
                entries: collections.abc.Iterable[tuple[object, object]] = value.items()
            elif isinstance(value, collections.abc.Iterable) and not isinstance(value, str):
                entries = enumerate(value)
            else:
                return at, f"must be a list, not {type(value).__name__}"
            for key, element in entries:
                found = _element_problem(item, element, f"{at}[{key}]")
                if found is not None:
                    return found
        else:
            found = _element_problem(item, value, at)
            if found is not None:
                return found
    return None


def _element_problem(item: _Field, value: object, at: str) -> _Problem:
    if _is_scalar(item.field):
        reason = _scalar_problem(item, value)
        return None if reason is None else (at, reason)
    return _problem(value, typing.cast(descriptor.Descriptor, item.field.message_type), f"{at}.")


def _described(entity: object) -> tuple[str, descriptor.Descriptor]:
    """Return how a refusal names ``entity`` (its kind and ids), and the message it is stored as."""
    if isinstance(entity, hikari.Member):
        user = getattr(entity, "user", None)
        return f"member guild_id={entity.guild_id} user_id={getattr(user, 'id', None)}", _MESSAGES["Member"]
    if isinstance(entity, hikari.GuildChannel):
        return f"channel id={entity.id} guild_id={entity.guild_id}", _MESSAGES["GuildChannel"]
    if isinstance(entity, hikari.Role):
        return f"role id={entity.id} guild_id={entity.guild_id}", _MESSAGES["Role"]
    if isinstance(entity, hikari.Guild):
        return f"guild id={entity.id}", _MESSAGES["Guild"]
    raise TypeError(f"Kura stores no {type(entity).__qualname__}")


def problem(entity: object) -> _Problem:
    """Return the first field of a guild, channel, member or role that cannot be stored, or None."""
    return _problem(entity, _described(entity)[1], "")


def refusal(entity: object, cause: Exception | None = None) -> errors.InvalidArgumentError:
    """Return the error that refuses ``entity``, naming it and its first field that cannot be stored.

    ``cause`` is what stopped its conversion, if anything did: named when no field is found to blame.
    """
    name, message_type = _described(entity)
    found = _problem(entity, message_type, "")
    if found is None:
        return errors.InvalidArgumentError(f"{name}: cannot be stored: {cause or 'refused'}")
    return errors.InvalidArgumentError(f"{name}: {found[0]}: {found[1]}")


_Query = typing.TypeVar("_Query")


def query_message(message_type: typing.Callable[..., _Query], kind: str, filters: dict[str, typing.Any]) -> _Query:
    """Build a query message from its filters; one protobuf does not take raises ``InvalidArgumentError`` naming it."""
    try:
        return message_type(**filters)
    except (ValueError, TypeError):
        pass
    for name, value in filters.items():
        try:
            message_type(**{name: value})
        except (ValueError, TypeError) as exc:
            raise errors.InvalidArgumentError(f"{kind} query: {name}: {value!r} cannot be sent: {exc}") from None
    raise errors.InvalidArgumentError(f"{kind} query cannot be sent")
