"""Worker for the Kura side (project virtualenv): ``python bench/kura_worker.py --scenario NAME ...``."""

from __future__ import annotations

import kura_side
import worker


def _side(app, args):  # type: ignore[no-untyped-def]
    return kura_side.KuraSide(app, args.db, target=args.target, server_pid=args.server_pid)


if __name__ == "__main__":
    worker.main(_side)
