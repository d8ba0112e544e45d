"""Encode a response of stored messages straight from their bytes, without parsing them.

A repeated message field on the wire is, per element, its tag, its length as a
varint and its bytes. Stored rows already hold each element's bytes, so a batch
response is their concatenation: the server never decodes what it streams.
"""

from __future__ import annotations

import collections.abc

_LENGTH_DELIMITED = 2


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_ONE_BYTE_LENGTHS = [bytes((n,)) for n in range(0x80)]


def repeated_messages(field_number: int, encoded: collections.abc.Iterable[bytes]) -> bytes:
    """Return the wire bytes of a message whose only field, ``field_number``, repeats ``encoded``."""
    tag = _varint(field_number << 3 | _LENGTH_DELIMITED)
    parts: list[bytes] = []
    append = parts.append
    for item in encoded:
        size = len(item)
        append(tag)
        append(_ONE_BYTE_LENGTHS[size] if size < 0x80 else _varint(size))
        append(item)
    return b"".join(parts)


def within(encoded: collections.abc.Sequence[bytes], budget: int) -> collections.abc.Iterator[list[bytes]]:
    """Split stored messages into runs whose encoded response stays within ``budget`` bytes.

    Each run holds at least one message, so a message larger than the budget still travels
    (and is refused by gRPC's own limit rather than silently dropped).
    """
    run: list[bytes] = []
    size = 0
    for item in encoded:
        cost = len(item) + 16  # the tag and length prefix take at most a few bytes
        if run and size + cost > budget:
            yield run
            run, size = [], 0
        run.append(item)
        size += cost
    if run:
        yield run
