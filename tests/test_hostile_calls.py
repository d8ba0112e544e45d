"""Calls a hostile client makes at will cost the server a bounded amount: metrics series, log lines, memory."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import urllib.request

import grpc
import pytest
import serverproc
from conftest import StartServer

from hikari_kura.server import app as server_app
from hikari_kura.server import auth, logs
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

WRITE_TOKEN = "write-token-0123456789abcdef"
SERVICE = "hikari_kura.v1.CacheService"


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def _refused_series(text: str) -> set[str]:
    return {line.split(" ", 1)[0] for line in text.splitlines() if line.startswith("kura_refused_calls_total{")}


async def _made_up_calls(target: str, count: int, *, name: str = "Made{}Up") -> None:
    """Call ``count`` distinct methods that do not exist, without a token, and check each is refused."""
    async with grpc.aio.insecure_channel(target) as channel:
        for start in range(0, count, 100):
            calls = [
                channel.unary_unary(f"/{SERVICE}/{name.format(number)}")(b"", timeout=30)
                for number in range(start, min(start + 100, count))
            ]
            results = await asyncio.gather(*calls, return_exceptions=True)
            assert all(
                isinstance(result, grpc.aio.AioRpcError) and result.code() == grpc.StatusCode.UNAUTHENTICATED
                for result in results
            ), results[:3]


@pytest.fixture
async def guarded(start_server: StartServer) -> server_app.Server:
    """Return a running server that requires tokens and serves metrics."""
    return await start_server(tokens=((auth.Role.WRITE, WRITE_TOKEN),), metrics_address="127.0.0.1:0")


async def test_made_up_methods_add_no_metrics_series_and_few_log_lines(
    guarded: server_app.Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hikari_kura.server.auth")
    target = f"127.0.0.1:{guarded.port}"
    assert guarded.metrics_port is not None

    await _made_up_calls(target, 2000)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.GetStats(pb.GetStatsRequest())
        stats = await stub.GetStats(pb.GetStatsRequest(), metadata=(("authorization", f"Bearer {WRITE_TOKEN}"),))

    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert stats.database_bytes > 0  # a valid call still works
    text = _scrape(guarded.metrics_port)
    assert _refused_series(text) == {
        'kura_refused_calls_total{code="UNAUTHENTICATED",method="unknown"}',
        'kura_refused_calls_total{code="UNAUTHENTICATED",method="GetStats"}',
    }
    assert 'kura_refused_calls_total{code="UNAUTHENTICATED",method="unknown"} 2000.0' in text
    refusals = [record for record in caplog.records if record.getMessage().startswith("call refused")]
    # The first lines of the interval are logged; the other 1,980 calls and GetStats only counted.
    assert len(refusals) == 20
    assert len([record for record in caplog.records if record.name == "hikari_kura.server.auth"]) == 20


def test_a_known_method_keeps_its_label_and_any_other_path_is_unknown() -> None:
    for method in ("Write", "Restore", "GetStats"):
        assert auth.method_label(f"/{SERVICE}/{method}") == method
    assert auth.method_label("/grpc.health.v1.Health/Check") == "Check"
    for method in (f"/{SERVICE}/Nope", f"/{SERVICE}/GetStats/", "/other.Service/GetStats", "", "GetStats"):
        assert auth.method_label(method) == auth.UNKNOWN_METHOD


async def test_a_method_with_a_newline_and_a_terminal_escape_is_logged_escaped(
    guarded: server_app.Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hikari_kura.server.auth")
    evil = "Get\nStats 2026 INFO hikari_kura: forged line \x1b[31mred"

    await _made_up_calls(f"127.0.0.1:{guarded.port}", 1, name=evil + "{}")

    [record] = [record for record in caplog.records if record.getMessage().startswith("call refused")]
    message = record.getMessage()
    assert "\n" not in message and "\x1b" not in message
    assert "Get\\nStats" in message and "\\x1b[31mred" in message


def test_the_text_format_escapes_control_characters_in_any_message() -> None:
    formatter = logs.TextFormatter(logs.TEXT_FORMAT)
    record = logging.LogRecord("kura", logging.INFO, __file__, 1, "peer=%s", ("a\nb\x1b[0m\u2028c",), None)

    line = formatter.format(record)

    assert line.endswith("kura: peer=a\\nb\\x1b[0m\\u2028c")


def test_a_long_client_string_is_cut_in_the_log() -> None:
    shown = logs.quoted("x" * 5000)

    assert len(shown) < logs.QUOTED_CHARS + 50
    assert shown.endswith("...(4800 more characters)")


async def test_lines_left_out_are_counted_when_the_interval_ends(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("hikari_kura.tests.sampled")
    caplog.set_level(logging.INFO, logger=logger.name)
    sampled = logs.SampledLog(logger, limit=3, interval=0.2)

    for number in range(10):
        sampled.log("UNAUTHENTICATED", logging.INFO, "refused %d", number)
    sampled.log("PERMISSION_DENIED", logging.INFO, "denied")
    await asyncio.sleep(0.4)
    sampled.log("UNAUTHENTICATED", logging.INFO, "refused again")

    assert [record.getMessage() for record in caplog.records] == [
        "refused 0",
        "refused 1",
        "refused 2",
        "denied",
        "7 more lines of reason=UNAUTHENTICATED left out in the last 0 s",
        "refused again",
    ]


def _rss_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc status")


async def test_ten_thousand_made_up_methods_leave_the_server_process_rss_bounded(tmp_path: pathlib.Path) -> None:
    port, metrics_port = serverproc.free_port(), serverproc.free_port()
    log = tmp_path / "serve.log"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KURA_TOKENS", f"write {WRITE_TOKEN}")
        process = await serverproc.start(
            tmp_path / "kura.sqlite3", port, "--metrics-address", f"127.0.0.1:{metrics_port}", log=log
        )
    try:
        target = f"127.0.0.1:{port}"
        await _made_up_calls(target, 500, name="Warm{}Up")  # gRPC's and Python's one-off allocations
        before = _rss_kib(process.pid)
        await _made_up_calls(target, 10_000, name="Made{}Up" + "x" * 900)
        scraped = await asyncio.to_thread(_scrape, metrics_port)  # a scrape renders every series it holds
        after = _rss_kib(process.pid)
    finally:
        await serverproc.stop(process)

    assert after - before < 20 * 1024, f"RSS grew {(after - before) / 1024:.1f} MiB"
    assert len(scraped) < 20_000
    refusal_lines = [line for line in log.read_text().splitlines() if "call refused" in line]
    assert len(refusal_lines) <= 40
