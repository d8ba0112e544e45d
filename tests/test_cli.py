"""``kura serve`` as an operator runs it: flags and KURA_* variables, health, clean stop on SIGTERM."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import hikari
import payloads
import pytest
import serverproc

from hikari_kura.client import GrpcBackend, RoleQuery

KURA = [sys.executable, "-m", "hikari_kura.server"]


def _wait_healthy(address: str, process: subprocess.Popen[bytes], attempts: int = 100) -> None:
    for _ in range(attempts):
        if process.poll() is not None:
            raise AssertionError(f"kura serve exited early with {process.returncode}")
        check = subprocess.run([*KURA, "health", "--target", address], capture_output=True, timeout=30)
        if check.returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"{address} never became healthy")


def _serve(database: pathlib.Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*KURA, "serve", "--database", str(database)],
        env={**os.environ, "KURA_ADDRESS": f"127.0.0.1:{port}", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def test_serve_takes_its_address_from_the_environment_and_stops_cleanly_on_sigterm(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "cli.sqlite3"
    port = serverproc.free_port()
    process = _serve(database, port)
    try:
        _wait_healthy(f"127.0.0.1:{port}", process)
        backend = GrpcBackend(f"127.0.0.1:{port}", app=app)
        await backend.connect()
        await (await backend.role_create(payloads.role(app, payloads.role_payload(55)), confirm=True))
        await backend.disconnect()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()
    assert b"stopped" in output
    assert not (tmp_path / "cli.sqlite3-wal").exists() or (tmp_path / "cli.sqlite3-wal").stat().st_size == 0

    port = serverproc.free_port()
    process = _serve(database, port)
    try:
        _wait_healthy(f"127.0.0.1:{port}", process)
        backend = GrpcBackend(f"127.0.0.1:{port}", app=app)
        await backend.connect()
        assert [int(r.id) async for r in backend.iter_roles(RoleQuery(id=55))] == [55]
        await backend.disconnect()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--readers", "0"], {}, "--readers"),
        (["--synchronous", "sometimes"], {}, "--synchronous"),
        ([], {"KURA_READERS": "many"}, "--readers"),
        ([], {"KURA_REFLECTION": "maybe"}, "--reflection"),
        ([], {"KURA_READ_ONLY": "perhaps"}, "--read-only"),
        ([], {"KURA_MAX_MESSAGE_BYTES": "-5"}, "--max-message-bytes"),
    ],
)
def test_a_bad_setting_exits_with_status_2_before_starting(
    tmp_path: pathlib.Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [*KURA, "serve", "--database", str(tmp_path / "never.sqlite3"), *args],
        env={**os.environ, **env},
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert not (tmp_path / "never.sqlite3").exists()


def test_serve_on_a_postgresql_database_that_refuses_the_login_exits_1_without_showing_the_password(
    postgres_url: str,
) -> None:
    # The test cluster trusts user kura; a database that does not exist is refused at login all the same.
    missing = postgres_url.rsplit("/", 1)[0].replace("://kura@", "://kura:s3cret@") + "/no_such_database"
    result = subprocess.run(
        [*KURA, "serve", "--database", missing, "--address", f"127.0.0.1:{serverproc.free_port()}"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    said = result.stderr.decode()
    assert "cannot open PostgreSQL database" in said and "no_such_database" in said, said
    assert "s3cret" not in said


def test_health_of_an_unreachable_server_fails() -> None:
    result = subprocess.run(
        [*KURA, "health", "--target", f"127.0.0.1:{serverproc.free_port()}", "--timeout", "1"],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert b"UNAVAILABLE" in result.stderr or b"DEADLINE_EXCEEDED" in result.stderr


def test_help_explains_every_serve_setting() -> None:
    result = subprocess.run([*KURA, "serve", "--help"], capture_output=True, timeout=30, check=True)
    text = result.stdout.decode()
    for flag in (
        "--address",
        "--database",
        "--read-only",
        "--reflection",
        "--readers",
        "--synchronous",
        "--session-ttl",
        "--log-level",
        "--tokens-file",
        "--tls-cert",
        "--tls-key",
        "--tls-client-ca",
        "--max-concurrent-streams",
        "--max-sessions-per-peer",
        "--keepalive-time",
        "--keepalive-timeout",
        "--min-ping-interval",
    ):
        assert flag in text
    assert "KURA_ADDRESS" in text
    assert "postgresql://" in text
