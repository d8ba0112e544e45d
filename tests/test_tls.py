"""TLS and mutual TLS with certificates made at test time: GrpcBackend, ``kura`` and grpcurl against a real server."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pathlib
import re
import shlex
import signal
import socket
import subprocess
import sys

import certs
import hikari
import payloads
import pytest
from conftest import StartServer
from grpcurl_tool import REPO_ROOT, grpcurl

from hikari_kura.client import (
    GrpcBackend,
    ResourceExhaustedError,
    RoleQuery,
    TLSConfig,
    UnauthenticatedError,
    UnavailableError,
)
from hikari_kura.server import app as server_app
from hikari_kura.server import auth, tls

KURA = [sys.executable, "-m", "hikari_kura.server"]
WRITE_TOKEN = "write-token-0123456789abcdef"
READ_TOKEN = "read-token-0123456789abcdef"


@dataclasses.dataclass(frozen=True, slots=True)
class PKI:
    """Two unrelated CAs; the server's certificate and one client's come from ``ca``."""

    ca: certs.Authority
    other_ca: certs.Authority
    server: certs.Issued
    client: certs.Issued
    stranger: certs.Issued
    """A client certificate signed by ``other_ca``."""


@pytest.fixture
def pki(tmp_path: pathlib.Path) -> PKI:
    """Make the certificates of one test."""
    directory = tmp_path / "pki"
    directory.mkdir()
    ca = certs.authority(directory, "ca")
    other_ca = certs.authority(directory, "other-ca")
    return PKI(
        ca,
        other_ca,
        ca.issue("server", server=True),
        ca.issue("client", server=False),
        other_ca.issue("stranger", server=False),
    )


async def _round_trip(target: str, app: hikari.GatewayBot, *, tls: TLSConfig) -> list[int]:
    backend = GrpcBackend(target, app=app, tls=tls)
    await backend.connect()
    try:
        await (await backend.role_create(payloads.role(app, payloads.role_payload(81)), confirm=True))
        return [int(role.id) async for role in backend.iter_roles(RoleQuery(id=81))]
    finally:
        await backend.disconnect()


# -- server TLS --------------------------------------------------------------------------------


async def test_backend_trusting_the_ca_talks_tls(start_server: StartServer, pki: PKI, app: hikari.GatewayBot) -> None:
    server = await start_server(tls=tls.ServerTLS(pki.server.cert, pki.server.key))

    assert await _round_trip(f"127.0.0.1:{server.port}", app, tls=TLSConfig(ca=pki.ca.cert)) == [81]
    # The name in the certificate also matches "localhost", and PEM may be given as bytes.
    assert await _round_trip(f"localhost:{server.port}", app, tls=TLSConfig(ca=pki.ca.cert.read_bytes())) == [81]


@pytest.mark.parametrize("trusting", ["other_ca", None], ids=["another CA", "plaintext"])
async def test_backend_not_trusting_the_servers_ca_is_refused(
    start_server: StartServer, pki: PKI, app: hikari.GatewayBot, trusting: str | None
) -> None:
    server = await start_server(tls=tls.ServerTLS(pki.server.cert, pki.server.key))
    options = None if trusting is None else TLSConfig(ca=pki.other_ca.cert)
    backend = GrpcBackend(f"127.0.0.1:{server.port}", app=app, tls=options)

    with pytest.raises(UnavailableError):
        await backend.connect()


async def test_a_certificate_for_another_name_is_refused_unless_that_name_is_expected(
    start_server: StartServer, pki: PKI, app: hikari.GatewayBot
) -> None:
    server = await start_server(tls=tls.ServerTLS(pki.server.cert, pki.server.key))
    # The expected name replaces the target's host, as when a load balancer's address is dialled.
    assert await _round_trip(
        f"127.0.0.1:{server.port}", app, tls=TLSConfig(ca=pki.ca.cert, server_name="localhost")
    ) == [81]
    with pytest.raises(UnavailableError):
        await _round_trip(f"127.0.0.1:{server.port}", app, tls=TLSConfig(ca=pki.ca.cert, server_name="kura.example"))


def test_tls_config_wants_cert_and_key_together(pki: PKI) -> None:
    with pytest.raises(ValueError, match="cert and key go together"):
        TLSConfig(ca=pki.ca.cert, cert=pki.client.cert)


# -- mutual TLS --------------------------------------------------------------------------------


@pytest.fixture
async def mtls_server(start_server: StartServer, pki: PKI) -> server_app.Server:
    """Return a server that requires client certificates signed by the test CA."""
    return await start_server(tls=tls.ServerTLS(pki.server.cert, pki.server.key, client_ca=pki.ca.cert))


async def test_mtls_client_with_a_certificate_of_the_client_ca_is_served(
    mtls_server: server_app.Server, pki: PKI, app: hikari.GatewayBot
) -> None:
    options = TLSConfig(ca=pki.ca.cert, cert=pki.client.cert, key=pki.client.key)

    assert await _round_trip(f"127.0.0.1:{mtls_server.port}", app, tls=options) == [81]


@pytest.mark.parametrize("presenting", [None, "stranger"], ids=["no certificate", "a certificate of another CA"])
async def test_mtls_client_without_a_certificate_of_the_client_ca_is_refused(
    mtls_server: server_app.Server, pki: PKI, app: hikari.GatewayBot, presenting: str | None
) -> None:
    own = {} if presenting is None else {"cert": pki.stranger.cert, "key": pki.stranger.key}
    backend = GrpcBackend(f"127.0.0.1:{mtls_server.port}", app=app, tls=TLSConfig(ca=pki.ca.cert, **own))

    with pytest.raises(UnavailableError):
        await backend.connect()


# -- kura commands -----------------------------------------------------------------------------


def _clean_environment(**env: str) -> dict[str, str]:
    return {**{key: value for key, value in os.environ.items() if not key.startswith("KURA_")}, **env}


def _kura(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KURA, *args], env=_clean_environment(**env), capture_output=True, text=True, timeout=60)


def _serve(database: pathlib.Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*KURA, "serve", "--database", str(database)],
        env=_clean_environment(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_kura_commands_verify_the_server_and_present_a_client_certificate(
    start_server: StartServer, pki: PKI
) -> None:
    server = await start_server(
        tls=tls.ServerTLS(pki.server.cert, pki.server.key, client_ca=pki.ca.cert),
        tokens=((auth.Role.READ, READ_TOKEN),),
    )
    target = f"127.0.0.1:{server.port}"
    client = ["--tls-client-cert", str(pki.client.cert), "--tls-client-key", str(pki.client.key)]

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return _kura(*args, "--target", target, **env)

    health = await asyncio.to_thread(run, "health", "--tls-ca", str(pki.ca.cert), *client)
    stats = await asyncio.to_thread(run, "stats", *client, KURA_TLS_CA=str(pki.ca.cert), KURA_TOKEN=READ_TOKEN)
    no_certificate = await asyncio.to_thread(run, "health", "--tls-ca", str(pki.ca.cert), "--timeout", "5")
    wrong_ca = await asyncio.to_thread(run, "health", "--tls-ca", str(pki.other_ca.cert), *client, "--timeout", "5")
    plaintext = await asyncio.to_thread(run, "health", "--timeout", "5")

    assert health.returncode == 0, health.stderr
    assert health.stdout == f"{target}: SERVING\n"
    assert stats.returncode == 0, stats.stderr
    assert '"open_sessions": 0' in stats.stdout
    for refused in (no_certificate, wrong_ca, plaintext):
        assert refused.returncode == 1
        assert "UNAVAILABLE" in refused.stderr
        assert len(refused.stderr.splitlines()) == 1, refused.stderr  # gRPC's own handshake lines are not shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "{cert}"], "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", "{ca}"], "--tls-client-ca needs --tls-cert and --tls-key"),
        (["--tls-cert", "/nonexistent.pem", "--tls-key", "{key}"], "--tls-cert: no such file: /nonexistent.pem"),
    ],
)
def test_serve_with_incomplete_tls_settings_exits_with_status_2(
    tmp_path: pathlib.Path, pki: PKI, args: list[str], message: str
) -> None:
    filled = [arg.format(cert=pki.server.cert, key=pki.server.key, ca=pki.ca.cert) for arg in args]

    result = _kura("serve", "--database", str(tmp_path / "never.sqlite3"), *filled)

    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()


# -- grpcurl, as docs/grpcurl.md shows it -------------------------------------------------------

_SECURE_SECTION = re.compile(r"^## Tokens and TLS\n(.*?)(?=^## )", re.MULTILINE | re.DOTALL)
_SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _guide_secure_commands() -> list[list[str]]:
    section = _SECURE_SECTION.search((REPO_ROOT / "docs" / "grpcurl.md").read_text(encoding="utf-8"))
    assert section is not None, "docs/grpcurl.md has no 'Tokens and TLS' section"
    commands = [shlex.split(block) for block in _SH_BLOCK.findall(section[1])]
    return [words for words in commands if words and words[0] == "grpcurl"]


async def test_the_guides_grpcurl_commands_with_tls_and_a_token_work(
    start_server: StartServer, pki: PKI, grpcurl_binary: pathlib.Path
) -> None:
    server = await start_server(
        tls=tls.ServerTLS(pki.server.cert, pki.server.key),
        tokens=((auth.Role.READ, READ_TOKEN), (auth.Role.WRITE, WRITE_TOKEN)),
    )
    commands = _guide_secure_commands()
    assert len(commands) >= 3
    values = {
        "$KURA_READ_TOKEN": READ_TOKEN,
        "$KURA_WRITE_TOKEN": WRITE_TOKEN,
        "127.0.0.1:50051": f"127.0.0.1:{server.port}",
        "ca.pem": str(pki.ca.cert),
    }
    runs = []
    for words in commands:
        args = []
        for word in words[1:]:
            for name, value in values.items():
                word = word.replace(name, value)
            args.append(word)
        runs.append(await grpcurl(grpcurl_binary, *args))

    for run in runs:
        run.ok()
    assert runs[-1].message()["roles"][0]["name"] == "Moderators"


async def test_kura_serve_takes_tokens_tls_and_limits_from_its_environment(
    tmp_path: pathlib.Path, pki: PKI, app: hikari.GatewayBot
) -> None:
    tokens = tmp_path / "kura-tokens"
    tokens.write_text(f"# the bots\nwrite {WRITE_TOKEN}\n", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = _serve(
        tmp_path / "serve.sqlite3",
        KURA_ADDRESS=f"127.0.0.1:{port}",
        KURA_TOKENS_FILE=str(tokens),
        KURA_TLS_CERT=str(pki.server.cert),
        KURA_TLS_KEY=str(pki.server.key),
        KURA_MAX_SESSIONS_PER_PEER="1",
    )
    target = f"127.0.0.1:{port}"
    options = TLSConfig(ca=pki.ca.cert)
    try:
        for _ in range(300):
            health = await asyncio.to_thread(_kura, "health", "--target", target, "--tls-ca", str(pki.ca.cert))
            if health.returncode == 0 or process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert health.returncode == 0, health.stderr
        first = GrpcBackend(target, app=app, token=WRITE_TOKEN, tls=options)
        await first.connect()
        try:
            with pytest.raises(ResourceExhaustedError, match="at most 1 at once"):
                await GrpcBackend(target, app=app, token=WRITE_TOKEN, tls=options).connect()
            with pytest.raises(UnauthenticatedError):
                await GrpcBackend(target, app=app, tls=options).connect()
        finally:
            await first.disconnect()
    finally:
        process.send_signal(signal.SIGTERM)
        output = await asyncio.to_thread(lambda: process.communicate(timeout=30)[0])
    assert process.returncode == 0, output
    assert "tls=True mtls=False tokens=1" in output
    assert WRITE_TOKEN not in output


def _serve_in(directory: pathlib.Path, *args: str) -> subprocess.Popen[str]:
    """Start ``kura serve`` with ``args`` in ``directory``, as an operator runs it there."""
    return subprocess.Popen(
        [*KURA, "serve", *args],
        cwd=directory,
        env=_clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _readme_pki(pki: PKI, directory: pathlib.Path) -> None:
    """Put the test's certificates under the names the README's Security section uses."""
    for source, name in ((pki.server.cert, "server.pem"), (pki.server.key, "server.key"), (pki.ca.cert, "ca.pem")):
        (directory / name).write_bytes(source.read_bytes())


async def test_tls_works_as_the_readme_shows_it(tmp_path: pathlib.Path, pki: PKI) -> None:
    _readme_pki(pki, tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{probe.getsockname()[1]}"
    process = _serve_in(tmp_path, "--tls-cert", "server.pem", "--tls-key", "server.key", "--address", target)

    def kura(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*KURA, *args, "--target", target],
            cwd=tmp_path,
            env=_clean_environment(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )

    try:
        for _ in range(300):
            with_ca = await asyncio.to_thread(kura, "health", "--tls-ca", "ca.pem")
            if with_ca.returncode == 0 or process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        # --tls trusts the system's CAs; gRPC finds them in GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, here the test CA.
        system_cas = {"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(tmp_path / "ca.pem")}
        flag = await asyncio.to_thread(kura, "health", "--tls", **system_cas)
        variable = await asyncio.to_thread(kura, "health", KURA_TLS="true", **system_cas)
        snapshot = await asyncio.to_thread(kura, "snapshot", "cache.snapshot", "--tls-ca", "ca.pem")
        untrusted = await asyncio.to_thread(kura, "health", "--tls", "--timeout", "5")
    finally:
        process.send_signal(signal.SIGTERM)
        output = await asyncio.to_thread(lambda: process.communicate(timeout=30)[0])
    assert process.returncode == 0, output
    for result in (with_ca, flag, variable):
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{target}: SERVING\n"
    assert snapshot.returncode == 0, snapshot.stderr
    assert (tmp_path / "cache.snapshot").stat().st_size > 0
    assert untrusted.returncode == 1
    assert untrusted.stderr.splitlines() == [untrusted.stderr.strip()]
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    assert "tls=True mtls=False" in output


@pytest.mark.parametrize(
    ("cert", "key", "client_ca", "message"),
    [
        ("server.key", "server.key", None, "TLS certificate server.key holds no PEM certificate"),
        ("server.pem", "server.pem", None, "TLS key server.pem is not the private key of server.pem"),
        (
            "server.pem",
            "other.key",
            None,
            "TLS key other.key is not the private key of server.pem: KEY_VALUES_MISMATCH",
        ),
        ("server.pem", "server.key", "server.key", "TLS client CA server.key holds no PEM certificate"),
    ],
)
def test_serve_with_tls_files_that_will_not_do_fails_in_one_line_and_creates_nothing(
    tmp_path: pathlib.Path, pki: PKI, cert: str, key: str, client_ca: str | None, message: str
) -> None:
    _readme_pki(pki, tmp_path)
    (tmp_path / "other.key").write_bytes(pki.client.key.read_bytes())
    before = sorted(path.name for path in tmp_path.iterdir())
    flags = ["--tls-cert", cert, "--tls-key", key, *(["--tls-client-ca", client_ca] if client_ca else [])]

    result = subprocess.run(
        [*KURA, "serve", "--database", "kura.sqlite3", "--address", "127.0.0.1:0", *flags],
        cwd=tmp_path,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert f"cannot start: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == before
