"""Logging set-up for ``kura serve``: text for people, JSON lines for log collectors.

What a client chose (a method path, say) goes into a message through ``quoted``, so it cannot
start a line of its own or send a terminal escape; the text format escapes control characters
of every message besides. Refusals a client can cause at will go through ``SampledLog``.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import json
import logging
import time
import typing

TEXT_FORMAT: typing.Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUOTED_CHARS: typing.Final = 200
"""Most characters of a client-chosen string a log line shows."""

_CONTROL: typing.Final = {code: repr(chr(code))[1:-1] for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)}


def escape(text: str) -> str:
    """Return ``text`` with control characters (newlines, ESC, ...) spelled as ``repr`` spells them."""
    return text.translate(_CONTROL)


def quoted(text: str) -> str:
    """Return a client-chosen string as a log shows it: quoted, escaped, cut to ``QUOTED_CHARS``."""
    if len(text) <= QUOTED_CHARS:
        return repr(text)
    return f"{text[:QUOTED_CHARS]!r}...({len(text) - QUOTED_CHARS} more characters)"


class SampledLog:
    """Log at most ``limit`` lines per reason in each ``interval`` seconds, then how many were left out.

    For what any client can cause as often as it likes (a refused call): each line still logged in
    full, the rest only counted, and the count logged when the interval ends.
    """

    def __init__(self, logger: logging.Logger, *, limit: int = 20, interval: float = 60.0) -> None:
        self._logger = logger
        self._limit = limit
        self._interval = interval
        self._windows: dict[str, tuple[float, int]] = {}
        """Per reason: when its interval began, and how many lines it has had in it."""

    def log(self, reason: str, level: int, message: str, *args: object) -> None:
        """Log ``message % args`` unless ``reason`` had its ``limit`` of lines in this interval.

        ``reason`` must come from a fixed set (a status code, say), never from the client.
        """
        now = time.monotonic()
        began, count = self._windows.get(reason, (now, 0))
        if now - began >= self._interval:
            self._report(reason, began, level)
            began, count = now, 0
        self._windows[reason] = (began, count + 1)
        if count < self._limit:
            self._logger.log(level, message, *args)
        elif count == self._limit:  # the first one left out: report the count when the interval ends
            asyncio.get_running_loop().call_later(began + self._interval - now, self._report, reason, began, level)

    def _report(self, reason: str, began: float, level: int) -> None:
        """Log how many lines of the interval that began at ``began`` were left out, if any were."""
        window = self._windows.get(reason)
        if window is None or window[0] != began or window[1] <= self._limit:
            return
        self._windows[reason] = (began, self._limit)  # reported: the timer or the next line reports nothing more
        self._logger.log(
            level,
            "%d more lines of reason=%s left out in the last %.0f s",
            window[1] - self._limit,
            reason,
            self._interval,
        )


class TextFormatter(logging.Formatter):
    """The text format, each message escaped so that it stays one line with no terminal escapes."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """Return the line of ``record``, its message escaped."""
        escaped = copy.copy(record)
        escaped.message = escape(record.message)
        return super().formatMessage(escaped)


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON object: time, level, logger, message, and the error if any."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, log_format: str) -> None:
    """Send logs to standard error at ``level``, as ``text`` or ``json``."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
