"""The soak at CI length: 8 client processes, a mixed workload, no errors, bounded server memory.

``bench/soak.py`` runs for 5 minutes by default; here it runs for 20 seconds. It fails on
any error, on server RSS growth beyond a fixed, generous bound, and on an unclean stop.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

SOAK = pathlib.Path(__file__).resolve().parent.parent / "bench" / "soak.py"
MAX_RSS_GROWTH_MIB = 150


@pytest.mark.slow
def test_eight_clients_of_mixed_work_see_no_errors_and_the_server_memory_stays_bounded(tmp_path: pathlib.Path) -> None:
    report_path = tmp_path / "soak.json"
    run = subprocess.run(
        [
            sys.executable,
            str(SOAK),
            *("--duration", "20", "--clients", "8", "--json-out", str(report_path)),
            *("--max-rss-growth-mb", str(MAX_RSS_GROWTH_MIB)),
        ],
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard, far above a healthy run
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(report_path.read_text())

    assert report["errors"] == 0, report["error_samples"]
    assert report["rss_mib"]["growth"] <= MAX_RSS_GROWTH_MIB
    assert report["server_exit_status"] == 0
    assert report["integrity_check"] == "ok"
    assert {name for name, row in report["latency"].items() if row["count"] > 0} == {
        "member_update",
        "member_delete",
        "get_member",
        "members_by_role",
        "guild_channels",
    }
