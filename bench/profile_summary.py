"""Sum py-spy's folded stacks (``run.py --profile DIR``) into where the time goes, as percentages.

``python bench/profile_summary.py bench/profiles/*.folded``

Each sample is put in the bucket of the innermost frame that a rule recognises, so a
protobuf call made by the converter counts as serialisation, and SQLite's C code under
the writer counts as SQLite. Samples of threads that only wait (epoll, a queue, a
condition) are counted apart as idle and left out of the percentages.
"""

from __future__ import annotations

import collections
import pathlib
import re
import sys
import typing


def _aiosqlite_lines() -> tuple[int, int]:
    """Return the lines of aiosqlite's worker loop that wait for work and that run it (they move between versions)."""
    try:
        import aiosqlite.core

        source = pathlib.Path(aiosqlite.core.__file__).read_text().splitlines()
    except ImportError:
        return (-1, -1)
    wait = next((i + 1 for i, line in enumerate(source) if "= tx.get()" in line), -1)
    work = next((i + 1 for i, line in enumerate(source) if "result = function()" in line), -1)
    return wait, work


_WAIT_LINE, _WORK_LINE = _aiosqlite_lines()
IDLE: typing.Final = "idle (waiting)"
STRONG: typing.Final[list[tuple[str, re.Pattern[str]]]] = [
    (
        IDLE,
        re.compile(
            r"epoll_wait|select \(selectors|poll \(selectors|pthread_cond_(timed)?wait|sem_(timed)?wait|"
            r"wait \(threading\.py|get \(queue\.py|_worker \(concurrent|do_futex_wait|futex_abstimed_wait|"
            r"__GI___poll|"
            rf"aiosqlite/core\.py:{_WAIT_LINE}\)"
        ),
    ),
    # aiosqlite runs each statement in its own thread: every busy sample there is SQLite at work.
    (
        "SQLite (library, sqlite3 module, aiosqlite thread)",
        re.compile(rf"sqlite3|_sqlite|libsqlite|aiosqlite/core\.py:{_WORK_LINE}\)"),
    ),
    (
        "protobuf encode/decode",
        re.compile(
            r"SerializeToString|ByteSize|FromString|ParseFromString|upb_Encode|upb_Decode|_upb_Decoder|upb_Encoder"
        ),
    ),
    ("hikari -> proto conversion (client)", re.compile(r"_to_proto \(")),
    ("proto -> hikari conversion (client)", re.compile(r"_from_proto \(")),
    (
        "server row building and validation",
        re.compile(r"server/(rows|validation)\.py|operation \(.*server/service\.py"),
    ),
]
"""Buckets that win wherever their frame is in the stack, in this order."""
WEAK: typing.Final[list[tuple[str, re.Pattern[str]]]] = [
    ("server write path (sessions, writer, SQL ops)", re.compile(r"server/(write_session|writer|writes|sessions)\.py")),
    (
        "server read path (plan, paging, wire)",
        re.compile(r"server/(reads|wire|store)\.py|_stream \(.*server/service\.py"),
    ),
    ("aiosqlite hand-off (event loop side)", re.compile(r"aiosqlite")),
    ("client write stream and futures", re.compile(r"client/(write_stream|grpc_backend)\.py")),
    # grpc's poller thread (_poll_wrapper) runs its C core: network I/O, HTTP/2 framing, and its own epoll waits.
    (
        "gRPC (core poller thread, cygrpc, aio)",
        re.compile(r"grpc|cygrpc|_cython|grpc_core|chttp2|tcp_|absl|_poll_wrapper"),
    ),
    ("hikari entity construction", re.compile(r"hikari/")),
    ("benchmark driver", re.compile(r"bench/")),
    ("asyncio event loop", re.compile(r"asyncio/|_run_once|base_events")),
]
"""Buckets decided by the innermost frame that matches one of them."""


def classify(frames: list[str]) -> str:
    """Return the bucket of a stack (frames listed root first)."""
    for name, pattern in STRONG:
        if any(pattern.search(frame) for frame in frames):
            return name
    for frame in reversed(frames):
        for name, pattern in WEAK:
            if pattern.search(frame):
                return name
    return "other (interpreter, GC, unattributed)"


RATE: typing.Final = 250
"""Samples per second, as run.py asks py-spy for."""


def summarize(path: pathlib.Path) -> tuple[collections.Counter[str], int, collections.Counter[str]]:
    """Return samples per bucket of one folded file, the idle sample count and busy samples per thread."""
    counts: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        bucket = classify(frames)
        counts[bucket] += int(number)
        if bucket != IDLE:
            threads[re.sub(r"^thread \(\d+\): ", "", frames[0])] += int(number)
    idle = counts.pop(IDLE, 0)
    return counts, idle, threads


def report(paths: list[pathlib.Path]) -> str:
    """Return a Markdown table per file."""
    out = []
    for path in paths:
        counts, idle, threads = summarize(path)
        total = sum(counts.values())
        per_thread = ", ".join(f"{name} {count / RATE:.2f} s" for name, count in threads.most_common())
        out.append(f"`{path.name}`: {total} busy samples = {total / RATE:.2f} s of thread time ({per_thread}); ")
        out.append(f"{idle} idle samples left out\n")
        out.append("| where | share of busy samples |")
        out.append("|---|---:|")
        for name, count in counts.most_common():
            out.append(f"| {name} | {100 * count / total:.1f}% |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(report([pathlib.Path(p) for p in sys.argv[1:]]) + "\n")
