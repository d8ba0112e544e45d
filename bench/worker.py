"""Run one scenario on one side in this process and print its metrics as one ``RESULT {json}`` line.

``run.py`` starts a worker per scenario, side and run, so every measurement starts from a
fresh process and a fresh database. With ``--marks`` the worker prints ``MARK start`` and
``MARK stop`` around the timed part, for a profiler to attach to.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import traceback
import typing
import warnings

import scenarios
import workload


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--params", required=True, help="JSON object of scenario parameters")
    parser.add_argument("--db", required=True, help="the database file (the reference's, or the server's to measure)")
    parser.add_argument("--target", help="Kura server address")
    parser.add_argument("--server-pid", type=int, help="Kura server pid, for its RSS")
    parser.add_argument("--signal-dir", help="directory for start/stop files of a reader in another process")
    return parser


async def _reader(side: scenarios.Side, params: dict[str, typing.Any], signal_dir: str) -> scenarios.Metrics:
    """Point gets from a second process while another one ingests (a second bot sharing the cache)."""
    import random

    guild = workload.guild_plan(6, seed=params["seed"])
    start, stop = os.path.join(signal_dir, "start"), os.path.join(signal_dir, "stop")
    deadline = time.monotonic() + params.get("reader_timeout", 1800)
    while not os.path.exists(start):  # noqa: ASYNC240 (a stat between gets, on purpose)
        if time.monotonic() > deadline:
            raise TimeoutError("the ingest never started")
        await asyncio.sleep(0.01)
    rng = random.Random(params["seed"] + 11)
    latencies = []
    while not os.path.exists(stop) and time.monotonic() < deadline:  # noqa: ASYNC240
        user_id = workload.member_id(guild, rng.randrange(params["small"]))
        t0 = time.perf_counter()
        member = await side.get_member(guild.id, user_id)
        latencies.append(time.perf_counter() - t0)
        if member is None:
            raise AssertionError(f"member {user_id} missing")
        await asyncio.sleep(params["read_interval"])
    return scenarios.latency_metrics("read_other_process_", latencies)


async def _run(make_side: typing.Callable[..., scenarios.Side], args: argparse.Namespace) -> dict[str, typing.Any]:
    params = json.loads(args.params)
    app = workload.make_app()
    side = make_side(app, args)
    await side.connect()
    try:
        if args.scenario == "reader":
            metrics = await _reader(side, params, args.signal_dir)
        else:
            if args.signal_dir and args.scenario == "million":
                params["signal_dir"] = args.signal_dir
            metrics = await scenarios.SCENARIOS[args.scenario](side, params)
    finally:
        await side.disconnect()
    if side.name == "reference":
        metrics["disk_bytes_closed"] = scenarios.file_bytes(args.db)
    return {"side": side.name, "scenario": args.scenario, "metrics": metrics, "notes": side.notes}


def main(make_side: typing.Callable[..., scenarios.Side]) -> None:
    """Parse arguments, run the scenario, print the result line and exit (even if stray threads linger)."""
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)
    args = _parser().parse_args()
    code = 0
    try:
        result = asyncio.run(_run(make_side, args))
        sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
