"""``kura`` as an operator runs it: flags and KURA_* variables, health, clean stop on SIGTERM, and its failures.

Every failure of a ``kura`` command is one line on standard error naming the problem (never a
traceback) and exit status 2 for a bad command line or 1 for a failure at run time; where the
command could have changed what is stored, the tests check that it did not.
"""

from __future__ import annotations

import asyncio
import collections.abc
import os
import pathlib
import pty
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import typing

import cachestate
import grpc
import hikari
import payloads
import pytest
import serverproc
from conftest import StartServer

from hikari_kura.client import GrpcBackend, RoleQuery
from hikari_kura.server import auth, schema
from hikari_kura.v1 import cache_service_pb2_grpc

KURA = [sys.executable, "-m", "hikari_kura.server"]
WRITE_TOKEN = "write-token-0123456789abcdef"
READ_TOKEN = "read-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-0123456789abcdef"


def _kura(*args: str, cwd: pathlib.Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run one ``kura`` command to its end, without the KURA_* variables of the test's own environment."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KURA_")}
    return subprocess.run([*KURA, *args], env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=120)


async def _in_thread(
    run: collections.abc.Callable[..., subprocess.CompletedProcess[str]], *args: str, **kwargs: typing.Any
) -> subprocess.CompletedProcess[str]:
    """Run a command from an async test in a thread: the servers of those tests run on the test's event loop."""
    return await asyncio.to_thread(run, *args, **kwargs)


def _failure(result: subprocess.CompletedProcess[str], status: int, *phrases: str) -> str:
    """Assert that a command exited with ``status`` and said why in one line of stderr; return that line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


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
        ([], {"KURA_CREATE_DIRS": "sometimes"}, "--create-dirs"),
        (
            ["--address", "localhost"],
            {},
            "argument --address: 'localhost' has no port: give one, as in localhost:50051",
        ),
        ([], {"KURA_ADDRESS": "127.0.0.1"}, "'127.0.0.1' has no port"),
        (["--address", "localhost:"], {}, "'localhost:' has no port"),
        (["--address", "[::1]"], {}, "'[::1]' has no port: give one, as in [::1]:50051"),
        (["--address", "127.0.0.1:65536"], {}, "port 65536 is out of range (0 to 65535)"),
        (["--address", "127.0.0.1:http"], {}, "port 'http' is not a number"),
        (["--address", "::1:50051"], {}, "put an IPv6 address in brackets, as in [::1]:50051"),
        (["--address", "[::1:50051"], {}, "an IPv6 address ends with ']'"),
        (["--address", "[kura]:50051"], {}, "'kura' in brackets is not an IPv6 address"),
        (["--address", ":50051"], {}, "':50051' has no host: 127.0.0.1:50051 listens on this machine only"),
        (["--metrics-address", "localhost"], {}, "argument --metrics-address: 'localhost' has no port"),
        (["--metrics-address", "127.0.0.1:70000"], {}, "port 70000 is out of range"),
        ([], {"KURA_TOKENS_FILE": sys.executable}, "the tokens file is not UTF-8 text"),
    ],
)
def test_a_bad_setting_exits_with_status_2_before_starting(
    tmp_path: pathlib.Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = _kura("serve", "--database", str(tmp_path / "never.sqlite3"), *args, **env)

    _failure(result, 2, "kura serve: error: ", message, "(see kura serve --help)")
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
        "--create-dirs",
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


# -- the commands that talk to a server ----------------------------------------------------------


@pytest.fixture
async def seeded(
    start_server: StartServer, tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> collections.abc.AsyncIterator[tuple[str, pathlib.Path, cache_service_pb2_grpc.CacheServiceStub]]:
    """Return the target of a running SQLite server holding real entities, its database and a stub of it."""
    database = tmp_path / "seeded.sqlite3"
    server = await start_server(database=database)
    target = f"127.0.0.1:{server.port}"
    await cachestate.seed(target, app)
    async with grpc.aio.insecure_channel(target) as channel:
        yield target, database, cache_service_pb2_grpc.CacheServiceStub(channel)


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("missing/cache.snapshot", "missing/cache.snapshot: directory {tmp}/missing does not exist"),
        ("directory", "directory: is a directory: give the path of the file to write, e.g. {tmp}/directory/cache"),
        ("a-file/cache.snapshot", "a-file/cache.snapshot: {tmp}/a-file is not a directory"),
    ],
    ids=["into a missing directory", "onto a directory", "under a file"],
)
async def test_snapshot_to_a_path_that_cannot_be_a_file_fails_in_one_line_and_writes_nothing(
    seeded: tuple[str, pathlib.Path, cache_service_pb2_grpc.CacheServiceStub],
    tmp_path: pathlib.Path,
    destination: str,
    message: str,
) -> None:
    target, _, _ = seeded
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "directory").mkdir()
    (workdir / "a-file").write_text("not a directory\n", encoding="utf-8")
    before = cachestate.file_names(workdir)

    result = await _in_thread(_kura, "snapshot", str(workdir / destination), "--target", target)

    _failure(result, 1, f"kura snapshot: {workdir}/", message.format(tmp=workdir))
    assert cachestate.file_names(workdir) == before
    assert cachestate.file_names(workdir / "directory") == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("directory", "directory: is a directory, not a snapshot file"),
        ("missing.snapshot", "missing.snapshot: no such file"),
    ],
)
async def test_restore_of_a_directory_or_a_missing_file_fails_in_one_line_and_changes_nothing(
    seeded: tuple[str, pathlib.Path, cache_service_pb2_grpc.CacheServiceStub],
    tmp_path: pathlib.Path,
    source: str,
    message: str,
) -> None:
    target, database, stub = seeded
    (tmp_path / "directory").mkdir()
    before = await cachestate.picture(database, stub)

    result = await _in_thread(_kura, "restore", str(tmp_path / source), "--target", target)

    _failure(result, 1, f"kura restore: {tmp_path / source}: ", message)
    after = await cachestate.picture(database, stub)
    assert after == before
    assert after.served["members"]


async def test_restore_of_a_file_that_is_not_a_snapshot_fails_in_one_line_and_changes_nothing(
    seeded: tuple[str, pathlib.Path, cache_service_pb2_grpc.CacheServiceStub], tmp_path: pathlib.Path
) -> None:
    target, database, stub = seeded
    before = await cachestate.picture(database, stub)
    (tmp_path / "notes.txt").write_text("not a snapshot\n", encoding="utf-8")

    result = await _in_thread(_kura, "restore", str(tmp_path / "notes.txt"), "--target", target)

    _failure(result, 1, f"kura restore: {target}: INVALID_ARGUMENT: snapshot: not a SQLite database file")
    assert await cachestate.picture(database, stub) == before


@pytest.mark.parametrize("command", ["health", "stats", "snapshot", "restore"])
def test_a_command_against_an_unreachable_server_fails_in_one_line(tmp_path: pathlib.Path, command: str) -> None:
    target = f"127.0.0.1:{serverproc.free_port()}"
    snapshot = tmp_path / "cache.snapshot"
    if command == "restore":
        snapshot.write_bytes(b"SQLite format 3\x00")
    timeout = ["--timeout", "5"] if command in ("health", "stats") else []
    files = [str(snapshot)] if command in ("snapshot", "restore") else []

    result = _kura(command, *files, "--target", target, *timeout)

    _failure(result, 1, f"kura {command}: {target}: UNAVAILABLE: ")
    assert cachestate.file_names(tmp_path) == (["cache.snapshot"] if command == "restore" else [])


def test_an_interrupted_snapshot_exits_130_in_one_line_and_leaves_no_file(tmp_path: pathlib.Path) -> None:
    with socket.socket() as silent:  # accepts connections and never answers: the snapshot waits
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        target = f"127.0.0.1:{silent.getsockname()[1]}"
        process = subprocess.Popen(
            [*KURA, "snapshot", str(tmp_path / "cache.snapshot"), "--target", target],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while not (tmp_path / ".cache.snapshot.partial").exists():  # it is waiting for the server
            assert process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)

    _failure(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), 130)
    assert stderr == "kura snapshot: interrupted\n"
    assert cachestate.file_names(tmp_path) == []


async def test_a_command_without_the_token_it_needs_fails_in_one_line_and_changes_nothing(
    start_server: StartServer, tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "tokens.sqlite3"
    server = await start_server(
        database=database,
        tokens=((auth.Role.WRITE, WRITE_TOKEN), (auth.Role.READ, READ_TOKEN), (auth.Role.ADMIN, ADMIN_TOKEN)),
    )
    target = f"127.0.0.1:{server.port}"
    backend = GrpcBackend(target, app=app, token=ADMIN_TOKEN)  # snapshots need admin
    await backend.connect()
    try:
        await (await backend.role_create(payloads.role(app, payloads.role_payload(77)), confirm=True))
        await backend.snapshot(tmp_path / "cache.snapshot")
        await (await backend.role_create(payloads.role(app, payloads.role_payload(78)), confirm=True))
    finally:
        await backend.disconnect()
    before = await cachestate.stored_rows(database)
    (tmp_path / "read-token").write_text(READ_TOKEN + "\n", encoding="utf-8")

    unknown = await _in_thread(_kura, "stats", "--target", target, "--token", "not-a-token-of-this-server")
    missing = await _in_thread(_kura, "restore", str(tmp_path / "cache.snapshot"), "--target", target)
    too_low = await _in_thread(
        _kura,
        "snapshot",
        str(tmp_path / "new.snapshot"),
        "--target",
        target,
        "--token-file",
        str(tmp_path / "read-token"),
    )
    from_variable = await _in_thread(
        _kura, "restore", str(tmp_path / "cache.snapshot"), "--target", target, KURA_TOKEN=READ_TOKEN
    )
    write_token = await _in_thread(
        _kura, "restore", str(tmp_path / "cache.snapshot"), "--target", target, KURA_TOKEN=WRITE_TOKEN
    )

    _failure(unknown, 1, f"kura stats: {target}: UNAUTHENTICATED: a valid token is required")
    _failure(missing, 1, f"kura restore: {target}: UNAUTHENTICATED: a valid token is required")
    _failure(too_low, 1, f"kura snapshot: {target}: PERMISSION_DENIED: a read token may not call Snapshot")
    _failure(from_variable, 1, f"kura restore: {target}: PERMISSION_DENIED: a read token may not call Restore")
    _failure(write_token, 1, f"kura restore: {target}: PERMISSION_DENIED: a write token may not call Restore")
    assert await cachestate.stored_rows(database) == before
    assert not (tmp_path / "new.snapshot").exists()
    assert not (tmp_path / ".new.snapshot.partial").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["health", "--target", "localhost"], "argument --target: 'localhost' has no port"),
        (["stats", "--target", "127.0.0.1:99999"], "port 99999 is out of range"),
        (["health", "--target", "127.0.0.1:0"], "port 0 is where a server picks a free port"),
        (["health", "--timeout", "0"], "argument --timeout: must be a positive number, got 0"),
        (["stats", "--token", "two words"], "--token: a token is one word of visible ASCII characters"),
        (["stats", "--token", "t\u00f6ken-0123456789abcdef"], "--token: a token is one word of visible ASCII"),
        (["stats", "--token-file", "{tokens}"], "--token-file {tokens}: a token is one word"),
        (["stats", "--token-file", "{missing}"], "argument --token-file: no such file: {missing}"),
        (["health", "--tls", "maybe"], "argument --tls: must be true or false, got maybe"),
        (["health", "--tls-client-cert", "{tokens}"], "--tls-client-cert and --tls-client-key go together"),
        (["restore"], "the following arguments are required: file"),
        ([], "the following arguments are required: command"),
    ],
)
def test_a_bad_command_line_exits_with_status_2_in_one_line(
    tmp_path: pathlib.Path, args: list[str], message: str
) -> None:
    tokens = tmp_path / "two-tokens"
    tokens.write_text("first-token-0123456789\nsecond-token-0123456789\n", encoding="utf-8")
    names = {"tokens": str(tokens), "missing": str(tmp_path / "missing")}

    result = _kura(*[arg.format(**names) for arg in args])

    command = f"kura {args[0]}" if args else "kura"
    _failure(result, 2, f"{command}: error: ", message.format(**names), f"(see {command} --help)")


async def test_snapshot_shows_its_progress_on_a_terminal_and_only_its_outcome_elsewhere(
    seeded: tuple[str, pathlib.Path, cache_service_pb2_grpc.CacheServiceStub], tmp_path: pathlib.Path
) -> None:
    target, _, _ = seeded
    piped = await _in_thread(_kura, "snapshot", str(tmp_path / "piped.snapshot"), "--target", target)
    leader, follower = pty.openpty()
    try:
        on_terminal = await asyncio.to_thread(
            subprocess.run,
            [*KURA, "snapshot", str(tmp_path / "terminal.snapshot"), "--target", target],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's other end is closed and everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)

    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    size = (tmp_path / "piped.snapshot").stat().st_size
    assert piped.stdout == f"snapshot of {target} written to {tmp_path / 'piped.snapshot'} ({size:,} bytes)\n"
    assert on_terminal.returncode == 0
    assert b"received " in shown and b"bytes (100%)" in shown


# -- kura serve: addresses -------------------------------------------------------------------------


def test_serve_on_a_taken_address_names_it_and_creates_nothing(tmp_path: pathlib.Path) -> None:
    database = tmp_path / "never.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        free = serverproc.free_port()
        on_grpc = _kura("serve", "--database", str(database), "--address", f"127.0.0.1:{port}")
        on_metrics = _kura(
            "serve",
            "--database",
            str(database),
            "--address",
            f"127.0.0.1:{free}",
            "--metrics-address",
            f"127.0.0.1:{port}",
        )

    line = _failure(on_grpc, 1, f"cannot start: cannot listen on 127.0.0.1:{port}: address already in use")
    assert " ERROR " in line
    _failure(on_metrics, 1, f"cannot start: cannot listen on 127.0.0.1:{port}: address already in use")
    assert cachestate.file_names(tmp_path) == []


def test_serve_on_an_address_this_machine_does_not_have_or_cannot_resolve_fails_in_one_line(
    tmp_path: pathlib.Path,
) -> None:
    foreign = _kura("serve", "--database", str(tmp_path / "never.sqlite3"), "--address", "192.0.2.1:50051")
    unknown = _kura("serve", "--database", str(tmp_path / "never.sqlite3"), "--address", "no-such-host.invalid:50051")

    _failure(foreign, 1, "cannot start: cannot listen on 192.0.2.1:50051: this machine has no such address")
    _failure(
        unknown, 1, "cannot start: cannot listen on no-such-host.invalid:50051: no-such-host.invalid does not resolve"
    )
    assert cachestate.file_names(tmp_path) == []


def _serve_at(database: pathlib.Path, address: str, *flags: str) -> subprocess.Popen[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KURA_")}
    return subprocess.Popen(
        [*KURA, "serve", "--database", str(database), "--address", address, *flags],
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    """Stop a ``kura serve`` with SIGTERM; return its output, after checking that it stopped cleanly."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


@pytest.mark.parametrize("host", ["[::1]", "[::]", "localhost"])
def test_serve_listens_on_ipv6_forms_and_names(tmp_path: pathlib.Path, host: str) -> None:
    port = serverproc.free_port()
    process = _serve_at(tmp_path / "kura.sqlite3", f"{host}:{port}")
    try:
        _wait_healthy(f"[::1]:{port}" if host != "localhost" else f"localhost:{port}", process)
        health = _kura("health", "--target", f"[::1]:{port}")
    finally:
        output = _stop(process)
    assert health.stdout == f"[::1]:{port}: SERVING\n", health.stderr
    assert f"serving address={host}:{port} port={port} " in output


# -- kura serve: the database ----------------------------------------------------------------------


def test_serve_refuses_a_database_in_a_missing_directory_unless_asked_to_create_it(tmp_path: pathlib.Path) -> None:
    database = tmp_path / "new" / "cache" / "kura.sqlite3"

    refused = _kura("serve", "--database", str(database), "--address", "127.0.0.1:0")

    _failure(
        refused,
        1,
        f"cannot start: database {database}: directory {database.parent} does not exist "
        "(create it, or pass --create-dirs)",
    )
    assert cachestate.file_names(tmp_path) == []

    for flags, env in ((["--create-dirs"], {}), ([], {"KURA_CREATE_DIRS": "true"})):
        port = serverproc.free_port()
        process = subprocess.Popen(
            [*KURA, "serve", "--database", str(database), "--address", f"127.0.0.1:{port}", *flags],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_healthy(f"127.0.0.1:{port}", process)
        finally:
            output = _stop(process)
        assert database.is_file()
        shutil.rmtree(tmp_path / "new")
        assert f"created directory {database.parent} for database {database}" in output


@pytest.mark.parametrize(
    ("database", "message"),
    [
        (":memory:", "argument --database: an in-memory SQLite database cannot be served: each of the server's"),
        ("file::memory:?cache=shared", "an in-memory SQLite database cannot be served"),
        ("file:kura.sqlite3?mode=ro", "'file:kura.sqlite3?mode=ro' is a SQLite URI: give a file path"),
        ("file:kura.sqlite3", "is a SQLite URI"),
    ],
)
def test_serve_refuses_in_memory_and_uri_databases_with_the_reason(
    tmp_path: pathlib.Path, database: str, message: str
) -> None:
    result = _kura("serve", "--database", database, "--address", "127.0.0.1:0", cwd=tmp_path)

    _failure(result, 2, "kura serve: error: ", message)
    assert cachestate.file_names(tmp_path) == []


@pytest.mark.parametrize("kind", ["directory", "text file", "other SQLite database", "newer schema"])
def test_serve_on_a_file_that_is_not_a_kura_database_fails_in_one_line_and_leaves_it_alone(
    tmp_path: pathlib.Path, kind: str
) -> None:
    database = tmp_path / "kura.sqlite3"
    message = {
        "directory": f"database {database} is a directory: give the path of a file, e.g. {database}/kura.sqlite3",
        "text file": f"database {database} cannot be opened: file is not a database",
        "other SQLite database": f"database {database} is not a Kura database (its application_id is 0x0, Kura's is",
        "newer schema": f"database {database} has schema version {schema.SCHEMA_VERSION + 1}, newer than this server's",
    }[kind]
    if kind == "directory":
        database.mkdir()
    elif kind == "text file":
        database.write_text("my notes\n", encoding="utf-8")
    else:
        with sqlite3.connect(database) as conn:
            conn.execute("CREATE TABLE notes (line TEXT)")
            if kind == "newer schema":
                conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
        conn.close()
    before = _contents(tmp_path)

    result = _kura("serve", "--database", str(database), "--address", "127.0.0.1:0")

    _failure(result, 1, f"cannot start: {message}")
    assert _contents(tmp_path) == before


def _contents(directory: pathlib.Path) -> dict[str, bytes | None]:
    """Return each entry of a directory with its bytes (None for a directory)."""
    return {path.name: None if path.is_dir() else path.read_bytes() for path in directory.iterdir()}


# -- kura serve: one server per SQLite file --------------------------------------------------------


async def test_a_second_server_on_a_sqlite_file_another_serves_is_refused_and_the_first_goes_on(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "kura.sqlite3"
    port = serverproc.free_port()
    first = await serverproc.start(database, port)
    target = f"127.0.0.1:{port}"
    try:
        backend = GrpcBackend(target, app=app)
        await backend.connect()
        await (await backend.role_create(payloads.role(app, payloads.role_payload(91)), confirm=True))
        before = await cachestate.stored_rows(database)

        second = await _in_thread(
            _kura, "serve", "--database", str(database), "--address", f"127.0.0.1:{serverproc.free_port()}"
        )
        reader = await _in_thread(
            _kura, "serve", "--database", str(database), "--read-only", "--address", "127.0.0.1:0"
        )

        await (await backend.role_create(payloads.role(app, payloads.role_payload(92)), confirm=True))
        assert sorted([int(role.id) async for role in backend.iter_roles()]) == [91, 92]
        await backend.disconnect()
    finally:
        assert await serverproc.stop(first) == 0

    _failure(
        second,
        1,
        f"cannot start: database {database} is already served by another Kura server "
        f"(it holds {database}.lock): one server per SQLite file",
    )
    _failure(
        reader,
        1,
        f"cannot start: database {database} is open in a Kura server that writes it (it holds {database}.lock): "
        "a read-only server shares a file only with other read-only servers",
    )
    assert len(before["roles"]) == 1
    assert cachestate.file_names(tmp_path) == ["kura.sqlite3"]  # a clean stop leaves no lock file


async def test_read_only_servers_share_a_file_and_a_server_that_writes_it_cannot_join_them(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "kura.sqlite3"
    port = serverproc.free_port()
    writer = await serverproc.start(database, port)
    backend = GrpcBackend(f"127.0.0.1:{port}", app=app)
    await backend.connect()
    await (await backend.role_create(payloads.role(app, payloads.role_payload(93)), confirm=True))
    await backend.disconnect()
    assert await serverproc.stop(writer) == 0
    before = database.read_bytes()

    ports = [serverproc.free_port(), serverproc.free_port()]
    readers = [await serverproc.start(database, reader_port, "--read-only") for reader_port in ports]
    try:
        for reader_port in ports:
            backend = GrpcBackend(f"127.0.0.1:{reader_port}", app=app)
            await backend.connect()
            assert [int(role.id) async for role in backend.iter_roles(RoleQuery(id=93))] == [93]
            await backend.disconnect()
        refused = await _in_thread(_kura, "serve", "--database", str(database), "--address", "127.0.0.1:0")
        assert await serverproc.stop(readers[0]) == 0
        still_refused = await _in_thread(_kura, "serve", "--database", str(database), "--address", "127.0.0.1:0")
    finally:
        for reader in readers:
            assert await serverproc.stop(reader) == 0

    for result in (refused, still_refused):
        _failure(result, 1, f"cannot start: database {database} is already served by another Kura server")
    assert database.read_bytes() == before
    assert "kura.sqlite3.lock" not in cachestate.file_names(tmp_path)  # the last reader to stop removed it
    writer = await serverproc.start(database, port)
    assert await serverproc.stop(writer) == 0


async def test_a_server_killed_with_sigkill_does_not_block_the_next_start(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "kura.sqlite3"
    port = serverproc.free_port()
    killed = await serverproc.start(database, port)
    backend = GrpcBackend(f"127.0.0.1:{port}", app=app, reconnect=None)
    await backend.connect()
    await (await backend.role_create(payloads.role(app, payloads.role_payload(94)), confirm=True))
    assert await serverproc.stop(killed, kill=True) == -signal.SIGKILL
    await backend.disconnect()
    assert (tmp_path / "kura.sqlite3.lock").exists()  # left behind, but nobody holds it any more

    restarted = await serverproc.start(database, port)
    try:
        backend = GrpcBackend(f"127.0.0.1:{port}", app=app)
        await backend.connect()
        assert [int(role.id) async for role in backend.iter_roles(RoleQuery(id=94))] == [94]
        await backend.disconnect()
        second = await _in_thread(_kura, "serve", "--database", str(database), "--address", "127.0.0.1:0")
    finally:
        assert await serverproc.stop(restarted) == 0
    _failure(second, 1, "is already served by another Kura server")  # the restarted server holds the lock again


# -- snapshots of a database that was a snapshot -----------------------------------------------------


async def test_a_database_served_from_a_copy_of_a_snapshot_can_be_snapshotted_and_restored_again(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    port = serverproc.free_port()
    target = f"127.0.0.1:{port}"
    original = await serverproc.start(tmp_path / "original.sqlite3", port)
    try:
        await cachestate.seed(target, app)
        first = await _in_thread(_kura, "snapshot", str(tmp_path / "first.snapshot"), "--target", target)
        seeded = await cachestate.stored_rows(tmp_path / "original.sqlite3")
    finally:
        assert await serverproc.stop(original) == 0
    assert first.returncode == 0, first.stderr
    shutil.copyfile(tmp_path / "first.snapshot", tmp_path / "copy.sqlite3")

    served_copy = await serverproc.start(tmp_path / "copy.sqlite3", port)
    try:
        second = await _in_thread(_kura, "snapshot", str(tmp_path / "second.snapshot"), "--target", target)
        restored = await _in_thread(_kura, "restore", str(tmp_path / "second.snapshot"), "--target", target)
    finally:
        assert await serverproc.stop(served_copy) == 0
    read_only = await serverproc.start(tmp_path / "first.snapshot", port, "--read-only")
    try:
        third = await _in_thread(_kura, "snapshot", str(tmp_path / "third.snapshot"), "--target", target)
    finally:
        assert await serverproc.stop(read_only) == 0

    for result in (second, restored, third):
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    fresh = await serverproc.start(tmp_path / "fresh.sqlite3", port)
    try:
        again = await _in_thread(_kura, "restore", str(tmp_path / "third.snapshot"), "--target", target)
    finally:
        assert await serverproc.stop(fresh) == 0
    assert again.returncode == 0, again.stderr
    for database in ("copy.sqlite3", "fresh.sqlite3"):
        rows = await cachestate.stored_rows(tmp_path / database)
        assert {table: len(found) for table, found in rows.items()} == {
            table: len(found) for table, found in seeded.items()
        }
