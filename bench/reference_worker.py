"""Worker for the reference side (bench/.venv-reference, hikari 2.6.0): hikari-persist 0.3.0's SQLiteBackend."""

from __future__ import annotations

import os

os.environ["KURA_BENCH_SIDE"] = "reference"

import reference
import worker


def _side(app, args):  # type: ignore[no-untyped-def]
    return reference.ReferenceSide(app, args.db)


if __name__ == "__main__":
    worker.main(_side)
