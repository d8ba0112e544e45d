# ruff: noqa: T201  (a command-line report: printing is its job)
"""Put two runs of ``bench/run.py`` side by side, Kura on SQLite and Kura on PostgreSQL, as a Markdown table.

    python bench/compare_engines.py SQLITE.json POSTGRES.json

Each input is a ``--json-out`` file (the PostgreSQL one from a run with ``--postgres``). The
table gives each metric's median and runs per engine and their ratio; nothing is typed in.
"""

from __future__ import annotations

import json
import pathlib
import sys
import typing


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(sqlite: dict[str, typing.Any], postgres: dict[str, typing.Any]) -> str:
    """Return the Markdown table of every metric both runs measured."""
    lines = [
        "| scenario | metric | SQLite (median) | PostgreSQL (median) | PostgreSQL / SQLite"
        " | SQLite runs | PostgreSQL runs |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for scenario, rows in sqlite["summary"].items():
        others = {row["label"]: row for row in postgres["summary"].get(scenario, [])}
        for row in rows:
            other = others.get(row["label"])
            if other is None:
                continue
            a, b = row["kura_median"], other["kura_median"]
            ratio = f"{b / a:.2f}x" if a and b is not None else "n/a"
            unit = f" ({row['unit']})" if row["unit"] and row["unit"] != "x" else ""
            lines.append(
                f"| {scenario} | {row['label']}{unit} | {_fmt(a)} | {_fmt(b)} | {ratio} |"
                f" {', '.join(_fmt(v) for v in row['kura_runs'])} | {', '.join(_fmt(v) for v in other['kura_runs'])} |"
            )
    return "\n".join(lines)


def main() -> int:
    """Print the comparison of the two files named on the command line."""
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    sqlite, postgres = (json.loads(pathlib.Path(name).read_text()) for name in sys.argv[1:])
    print(table(sqlite, postgres))
    return 0


if __name__ == "__main__":
    sys.exit(main())
