"""A strict comparison of hikari entities: every attrs field, recursively, with exact types.

hikari declares most fields ``eq=False`` (a Member compares by id only), so ``==`` cannot show
that an object read back is the one written. This walks ``attrs.fields`` instead.
"""

from __future__ import annotations

import collections.abc
import datetime
import typing

import attrs

SKIPPED_FIELDS = frozenset({"app"})
"""Fields not compared: the app an entity is bound to is the reader's, not part of the data."""


def assert_same_entity(actual: object, expected: object) -> None:
    """Assert ``actual`` has the class of ``expected`` and equals it in every attrs field but ``app``."""
    _compare(actual, expected, type(expected).__qualname__)


def _fail(path: str, message: str) -> typing.NoReturn:
    raise AssertionError(f"{path}: {message}")


def _compare(actual: object, expected: object, path: str) -> None:
    # Exact types: UnicodeEmoji is not str, an enum member is not its int, Snowflake is not int.
    if type(actual) is not type(expected):
        _fail(path, f"type {type(actual).__qualname__} ({actual!r}) != {type(expected).__qualname__} ({expected!r})")

    cls = type(expected)
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name in SKIPPED_FIELDS:
                continue
            _compare(getattr(actual, field.name), getattr(expected, field.name), f"{path}.{field.name}")
        return

    if isinstance(expected, datetime.datetime):
        assert isinstance(actual, datetime.datetime)
        if actual != expected:
            _fail(path, f"{actual!r} != {expected!r}")
        # Aware datetimes compare as instants; the offset they are expressed in must match too.
        if actual.utcoffset() != expected.utcoffset():
            _fail(path, f"UTC offset {actual.utcoffset()!r} != {expected.utcoffset()!r}")
        return

    if isinstance(expected, collections.abc.Mapping):
        assert isinstance(actual, collections.abc.Mapping)
        actual_keys = {key: key for key in actual}
        if actual_keys.keys() != expected.keys():
            _fail(path, f"keys {sorted(actual_keys)!r} != {sorted(expected)!r}")
        for key, value in expected.items():
            _compare(actual_keys[key], key, f"{path}.keys()[{key!r}]")
            _compare(actual[key], value, f"{path}[{key!r}]")
        return

    if isinstance(expected, collections.abc.Sequence) and not isinstance(expected, (str, bytes)):
        assert isinstance(actual, collections.abc.Sequence)
        if len(actual) != len(expected):
            _fail(path, f"length {len(actual)} != {len(expected)}: {actual!r} != {expected!r}")
        for index, (actual_item, expected_item) in enumerate(zip(actual, expected, strict=True)):
            _compare(actual_item, expected_item, f"{path}[{index}]")
        return

    if actual != expected:
        _fail(path, f"{actual!r} != {expected!r}")
