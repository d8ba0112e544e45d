"""The soak at CI length: 8 client processes, a mixed workload, no errors, bounded server memory.

``bench/soak.py`` runs for 5 minutes by default; here it runs for 20 seconds, and once more
while the server restarts under the load. It fails on any error, on server RSS growth beyond
a fixed, generous bound, and on an unclean stop.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import typing

import pytest

SOAK = pathlib.Path(__file__).resolve().parent.parent / "bench" / "soak.py"
MAX_RSS_GROWTH_MIB = 150


def _soak(tmp_path: pathlib.Path, *flags: str) -> dict[str, typing.Any]:
    report_path = tmp_path / "soak.json"
    run = subprocess.run(
        [sys.executable, str(SOAK), "--clients", "8", "--json-out", str(report_path), *flags],
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard, far above a healthy run
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report: dict[str, typing.Any] = json.loads(report_path.read_text())
    assert report["errors"] == 0, report["error_samples"]
    assert report["rss_mib"]["growth"] <= MAX_RSS_GROWTH_MIB
    assert report["server_exit_statuses"]
    assert not any(report["server_exit_statuses"])
    assert report["integrity_check"] == "ok"
    assert {name for name, row in report["latency"].items() if row["count"] > 0} == {
        "member_update",
        "member_delete",
        "get_member",
        "members_by_role",
        "guild_channels",
    }
    return report


@pytest.mark.slow
def test_eight_clients_of_mixed_work_see_no_errors_and_the_server_memory_stays_bounded(tmp_path: pathlib.Path) -> None:
    report = _soak(tmp_path, "--duration", "20", "--max-rss-growth-mb", str(MAX_RSS_GROWTH_MIB))

    assert report["restarts"] == 0
    assert report["reads_refused_while_restarting"] == 0


@pytest.mark.slow
def test_eight_clients_carry_on_without_a_failed_write_while_the_server_restarts(tmp_path: pathlib.Path) -> None:
    report = _soak(tmp_path, "--duration", "15", "--restart-every", "5", "--max-rss-growth-mb", str(MAX_RSS_GROWTH_MIB))

    assert report["restarts"] >= 1
    assert report["reconnects"] >= report["restarts"]
