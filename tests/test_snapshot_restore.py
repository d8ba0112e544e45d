"""Snapshot writes the whole cache to a file; restore puts exactly that back, or refuses and changes nothing.

A file that claims no schema version at all is refused; a snapshot of an older schema version is
migrated on restore (``test_schema_migration``).
"""

from __future__ import annotations

import collections.abc
import pathlib
import re
import shutil
import sqlite3
import typing

import cachestate
import hikari
import payloads
import pytest
from fidelity import assert_same_entity

from hikari_kura.client import FailedPreconditionError, GrpcBackend, InvalidArgumentError, KuraError
from hikari_kura.server import app as server_app
from hikari_kura.server import schema, snapshots
from hikari_kura.v1 import cache_service_pb2_grpc

DATABASE_FILES = ["kura.sqlite3", "kura.sqlite3-shm", "kura.sqlite3-wal", "kura.sqlite3.lock"]


def _files_of(database: pathlib.Path | str) -> list[str]:
    """Return the files a database may leave where its snapshot and restore files go: SQLite's own, or none."""
    return DATABASE_FILES if isinstance(database, pathlib.Path) else []


"""What the database directory holds while the server runs: no temporary file is ever left beside it."""


@pytest.fixture
def files(tmp_path: pathlib.Path) -> pathlib.Path:
    """Return a directory for snapshot files, apart from the database's."""
    path = tmp_path / "files"
    path.mkdir()
    return path


async def _collect(iterator: typing.AsyncIterator[typing.Any]) -> list[typing.Any]:
    return [item async for item in iterator]


def _by_key(items: collections.abc.Iterable[typing.Any]) -> dict[tuple[int, ...], typing.Any]:
    return {(int(getattr(item, "guild_id", 0)), int(item.id)): item for item in items}


async def _assert_holds_exactly(backend: GrpcBackend, seeded: cachestate.Seeded) -> None:
    """Assert the cache holds the seeded entities, each equal in every field, and nothing else."""
    for stored, written in (
        (await _collect(backend.iter_guilds()), seeded.guilds),
        (await _collect(backend.iter_channels()), seeded.channels),
        (await _collect(backend.iter_members()), seeded.members),
        (await _collect(backend.iter_roles()), seeded.roles),
    ):
        stored_by_key, written_by_key = _by_key(stored), _by_key(written)
        assert stored_by_key.keys() == written_by_key.keys()
        for key, entity in written_by_key.items():
            assert_same_entity(stored_by_key[key], entity)


# -- round trips -------------------------------------------------------------------------------


async def test_restore_of_a_snapshot_into_a_cleared_cache_gives_back_every_entity_equal(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    seeded = await cachestate.seed(target, app)
    served = await cachestate.served(stub)
    path = files / "cache.kura"

    await backend.snapshot(path)
    await backend.clear(channels=True, guilds=True, members=True, roles=True)
    assert await cachestate.stored_rows(database) == {table: [] for table in schema.CACHE_TABLES}
    await backend.restore(path)

    await _assert_holds_exactly(backend, seeded)
    assert await cachestate.served(stub) == served
    assert cachestate.file_names(files) == ["cache.kura"]
    assert cachestate.database_files(database) == _files_of(database)


async def test_snapshot_of_an_empty_cache_restores_to_an_empty_cache(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    await backend.snapshot(files / "empty.kura")
    await cachestate.seed(target, app)

    await backend.restore(files / "empty.kura")

    assert await cachestate.served(stub) == {"guilds": [], "channels": [], "members": [], "roles": []}


async def test_snapshot_holds_every_write_confirmed_before_it(
    backend: GrpcBackend, app: hikari.GatewayBot, files: pathlib.Path
) -> None:
    data = payloads.guild_create_payload()
    guild = payloads.guild(app, data)
    members = payloads.members(app, data)
    await (await backend.guild_join(guild, confirm=True))
    for member in members:
        await (await backend.member_create(member, confirm=True))

    await backend.snapshot(files / "cache.kura")
    await backend.clear(channels=True, guilds=True, members=True, roles=True)
    await backend.restore(files / "cache.kura")

    (stored_guild,) = await _collect(backend.iter_guilds())
    assert_same_entity(stored_guild, guild)
    stored_members = _by_key(await _collect(backend.iter_members()))
    assert stored_members.keys() == _by_key(members).keys()
    for key, member in _by_key(members).items():
        assert_same_entity(stored_members[key], member)


async def test_snapshot_holds_every_write_issued_before_it_unconfirmed(
    backend: GrpcBackend, app: hikari.GatewayBot, files: pathlib.Path
) -> None:
    data = payloads.guild_create_payload()
    roles = payloads.roles(app, data)
    channels = payloads.channels(app, data)
    # Unconfirmed writes, the last of them a delete: the snapshot must come after all of them.
    for role in roles:
        await backend.role_create(role, confirm=False)
    await backend.bulk_channels(channels, confirm=False)
    await backend.role_delete(roles[-1].id, confirm=False)

    await backend.snapshot(files / "cache.kura")
    await backend.clear(channels=True, guilds=True, members=True, roles=True)
    await backend.restore(files / "cache.kura")

    stored_roles = _by_key(await _collect(backend.iter_roles()))
    assert stored_roles.keys() == _by_key(roles[:-1]).keys()
    for key, role in _by_key(roles[:-1]).items():
        assert_same_entity(stored_roles[key], role)
    assert _by_key(await _collect(backend.iter_channels())).keys() == _by_key(channels).keys()
    assert backend.failed_writes == 0


async def test_restore_replaces_everything_written_after_the_snapshot(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    seeded = await cachestate.seed(target, app)
    await backend.snapshot(files / "cache.kura")
    # After the snapshot: a new guild with its objects, an update, deletes of every kind.
    newcomer = payloads.guild_create_payload()
    newcomer["id"] = str(payloads.GUILD_ID + 1)
    await (await backend.guild_join(payloads.guild(app, newcomer), confirm=True))
    await (await backend.role_create(payloads.role(app, payloads.role_payload(1 << 40), guild_id=1), confirm=True))
    await (
        await backend.member_create(payloads.member(app, payloads.member_payload(7), guild_id=1 << 41), confirm=True)
    )
    renamed = payloads.channel(app, payloads.channel_payload(0, payloads.TEXT_ID, name="renamed"))
    await (await backend.channel_update(renamed, confirm=True))
    await (await backend.guild_leave(hikari.Snowflake(payloads.EDGE_GUILD_ID), confirm=True))
    await (await backend.role_delete(hikari.Snowflake(payloads.ROLE_ADMIN_ID), confirm=True))

    await backend.restore(files / "cache.kura")

    await _assert_holds_exactly(backend, seeded)
    assert cachestate.database_files(database) == _files_of(database)


async def test_a_second_snapshot_replaces_the_file_with_the_newer_state(
    backend: GrpcBackend, app: hikari.GatewayBot, files: pathlib.Path
) -> None:
    roles = payloads.roles(app, payloads.guild_create_payload())
    await (await backend.role_create(roles[0], confirm=True))
    await backend.snapshot(files / "cache.kura")
    await (await backend.role_create(roles[1], confirm=True))
    await backend.snapshot(files / "cache.kura")

    await backend.clear(channels=True, guilds=True, members=True, roles=True)
    await backend.restore(files / "cache.kura")

    assert sorted(int(role.id) for role in await _collect(backend.iter_roles())) == sorted(
        int(role.id) for role in roles[:2]
    )
    assert cachestate.file_names(files) == ["cache.kura"]


# -- files that are not valid snapshots --------------------------------------------------------


@pytest.fixture
async def good_snapshot(target: str, app: hikari.GatewayBot, files: pathlib.Path) -> pathlib.Path:
    """Return a real snapshot of a seeded cache, taken by a client that has since disconnected."""
    await cachestate.seed(target, app)
    client = GrpcBackend(target, app=app)
    await client.connect()
    try:
        await client.snapshot(files / "good.kura")
    finally:
        await client.disconnect()
    return files / "good.kura"


def _edit(source: pathlib.Path, out: pathlib.Path, *statements: str, reseal: bool = False) -> None:
    """Copy a snapshot and run SQL on the copy; ``reseal`` stores a fresh content checksum after."""
    shutil.copyfile(source, out)
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
        if reseal:
            conn.execute(f"DROP TABLE {snapshots.SNAPSHOT_TABLE}")
    finally:
        conn.close()
    if reseal:
        snapshots.seal(out)


def _page_size(raw: bytes | bytearray) -> int:
    size = int.from_bytes(raw[16:18], "big")
    return 65536 if size == 1 else size


def _cut(
    fraction: float | None = None, *, at: int | None = None, pages_short: int = 0, bytes_short: int = 0
) -> typing.Any:
    def make(good: pathlib.Path, out: pathlib.Path) -> None:
        raw = good.read_bytes()
        if at is not None:
            end = at
        elif fraction is not None:
            end = int(len(raw) * fraction)
        else:
            end = len(raw) - pages_short * _page_size(raw) - bytes_short
        out.write_bytes(raw[:end])

    return make


def _write(content: bytes) -> typing.Any:
    def make(good: pathlib.Path, out: pathlib.Path) -> None:
        out.write_bytes(content)

    return make


def _another_schema(good: pathlib.Path, out: pathlib.Path) -> None:
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('not a cache')")
    finally:
        conn.close()


def _another_schema_posing_as_kura(good: pathlib.Path, out: pathlib.Path) -> None:
    _another_schema(good, out)
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
    finally:
        conn.close()


def _kura_without_schema_version(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(good, out, "PRAGMA user_version = 0")


def _newer_schema(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(good, out, f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")


def _garbage_data(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(good, out, "UPDATE members SET data = x'ffffffff0000deadbeef' WHERE id = (SELECT min(id) FROM members)")


def _garbage_data_resealed(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(
        good,
        out,
        "UPDATE members SET data = x'ffffffff0000deadbeef' WHERE id = (SELECT min(id) FROM members)",
        reseal=True,
    )


def _missing_column_resealed(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(good, out, "ALTER TABLE roles DROP COLUMN bot_id", reseal=True)


def _missing_table_resealed(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(good, out, "DROP TABLE member_roles", reseal=True)


def _changed_row(good: pathlib.Path, out: pathlib.Path) -> None:
    # Well-formed but not what was snapshotted: only the checksum can tell.
    _edit(good, out, "UPDATE roles SET name = 'tampered' WHERE id = (SELECT min(id) FROM roles)")


def _unsealed(good: pathlib.Path, out: pathlib.Path) -> None:
    _edit(good, out, f"DROP TABLE {snapshots.SNAPSHOT_TABLE}")


def _flipped_text_in_a_member(good: pathlib.Path, out: pathlib.Path) -> None:
    # One bit of a nickname inside the stored Member message: it still parses, and SQLite's
    # integrity check sees nothing wrong with the page.
    raw = bytearray(good.read_bytes())
    at = raw.index(b"Nickname")
    raw[at] ^= 0x01
    out.write_bytes(bytes(raw))


def _flipped_page_header(good: pathlib.Path, out: pathlib.Path) -> None:
    raw = bytearray(good.read_bytes())
    page = _page_size(raw)
    for offset in range(page * 2, page * 2 + 8):  # the b-tree header of the third page
        raw[offset] ^= 0xFF
    out.write_bytes(bytes(raw))


def _page_count(snapshot: pathlib.Path) -> int:
    raw = snapshot.read_bytes()
    return len(raw) // _page_size(raw)


def _flip_middle_of_page(good: pathlib.Path, out: pathlib.Path, page: int) -> None:
    raw = bytearray(good.read_bytes())
    middle = page * _page_size(raw) + _page_size(raw) // 2
    for offset in range(middle - 8, middle + 8):
        raw[offset] ^= 0xFF
    out.write_bytes(bytes(raw))


def _padded(good: pathlib.Path, out: pathlib.Path) -> None:
    raw = good.read_bytes()
    out.write_bytes(raw + bytes(_page_size(raw)))


InvalidCase = tuple[collections.abc.Callable[[pathlib.Path, pathlib.Path], None], type[KuraError], str]

INVALID_FILES: dict[str, InvalidCase] = {
    "text file": (_write(b"guild_id,user_id\n1,2\n" * 200), InvalidArgumentError, r"^snapshot: not a SQLite database"),
    "zip file": (_write(b"PK\x03\x04" + bytes(4096)), InvalidArgumentError, r"^snapshot: not a SQLite database"),
    "empty file": (_write(b""), InvalidArgumentError, r"^snapshot: empty file"),
    "cut inside the header": (_cut(at=60), InvalidArgumentError, r"^snapshot: truncated"),
    "cut after the header": (_cut(at=100), InvalidArgumentError, r"^snapshot: truncated"),
    "cut after the first page": (_cut(at=4096), InvalidArgumentError, r"^snapshot: truncated"),
    "cut in half": (_cut(0.5), InvalidArgumentError, r"^snapshot: truncated"),
    "cut one page short": (_cut(pages_short=1), InvalidArgumentError, r"^snapshot: truncated"),
    "cut one byte short": (_cut(bytes_short=1), InvalidArgumentError, r"^snapshot: truncated"),
    "padded past its end": (_padded, InvalidArgumentError, r"^snapshot: corrupt: 4096 bytes past the end"),
    "flipped b-tree page header": (_flipped_page_header, InvalidArgumentError, r"^snapshot: corrupt"),
    "flipped bit in a stored member": (_flipped_text_in_a_member, InvalidArgumentError, r"^snapshot: corrupt"),
    "row changed after the snapshot": (_changed_row, InvalidArgumentError, r"^snapshot: corrupt: its content"),
    "garbage data blob": (_garbage_data, InvalidArgumentError, r"^snapshot: corrupt: its content"),
    "garbage data blob, resealed": (
        _garbage_data_resealed,
        InvalidArgumentError,
        r"^snapshot: corrupt: members row \d+, \d+ is not a Member message",
    ),
    "another schema": (_another_schema, InvalidArgumentError, r"^snapshot: not a Kura snapshot \(application_id 0x0"),
    "another schema with Kura's ids": (
        _another_schema_posing_as_kura,
        InvalidArgumentError,
        r"^snapshot: has no content checksum",
    ),
    "Kura file without schema version": (
        _kura_without_schema_version,
        InvalidArgumentError,
        r"^snapshot: not a Kura snapshot \(it has no schema version\)",
    ),
    "roles table missing a column, resealed": (
        _missing_column_resealed,
        InvalidArgumentError,
        r"^snapshot: not a Kura snapshot: table roles has columns",
    ),
    "member_roles table missing, resealed": (
        _missing_table_resealed,
        InvalidArgumentError,
        r"^snapshot: not a Kura snapshot: table member_roles has columns \[\]",
    ),
    "not sealed by Snapshot": (_unsealed, InvalidArgumentError, r"^snapshot: has no content checksum"),
    "newer schema version": (
        _newer_schema,
        FailedPreconditionError,
        rf"^snapshot: schema version {schema.SCHEMA_VERSION + 1} is newer than this server's {schema.SCHEMA_VERSION}",
    ),
}


@pytest.mark.parametrize("case", INVALID_FILES.keys())
async def test_restore_of_an_invalid_file_is_refused_and_changes_nothing(
    backend: GrpcBackend,
    app: hikari.GatewayBot,
    good_snapshot: pathlib.Path,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
    case: str,
) -> None:
    make, error, message = INVALID_FILES[case]
    bad = files / "bad.kura"
    make(good_snapshot, bad)
    # A write of this session after the snapshot: the cache is not simply the snapshot's content.
    role = payloads.role(app, payloads.role_payload(1 << 40), guild_id=1)
    await (await backend.role_create(role, confirm=True))
    before = await cachestate.picture(database, stub)

    with pytest.raises(error) as caught:
        await backend.restore(bad)

    assert type(caught.value) is error
    assert re.search(message, caught.value.message), caught.value.message
    assert await cachestate.picture(database, stub) == before
    assert cachestate.database_files(database) == _files_of(database)
    # The refusal did not break anything: the real snapshot still restores.
    await backend.restore(good_snapshot)
    assert int(role.id) not in [int(stored.id) for stored in await _collect(backend.iter_roles())]


@pytest.mark.sqlite_only
async def test_restore_of_a_copy_of_the_live_database_file_is_refused(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    await cachestate.seed(target, app)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(files / "copy.sqlite3")
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    before = await cachestate.picture(database, stub)

    with pytest.raises(InvalidArgumentError) as caught:
        await backend.restore(files / "copy.sqlite3")

    assert caught.value.message.startswith("snapshot: has no content checksum"), caught.value.message
    assert await cachestate.picture(database, stub) == before


async def test_snapshot_with_bytes_flipped_in_the_middle_of_any_page_is_refused_or_restores_unchanged(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    """Flip 16 bytes in the middle of each page of a snapshot in turn.

    Where they hold part of the cache, restore must refuse the file and change nothing; where
    they fall in a page's unused space, the content is the snapshot's, byte for byte, and
    restoring it is right.
    """
    await cachestate.seed(target, app)
    # Hundreds of members fill their pages, so most pages hold cache data in their middle.
    crowd = [
        payloads.member(app, payloads.member_payload(user_id, nick=f"member {user_id}")) for user_id in range(1, 300)
    ]
    await (await backend.bulk_members(crowd, confirm=True))
    snapshot = files / "cache.kura"
    await backend.snapshot(snapshot)
    intact = await cachestate.served(stub)
    marker = payloads.role(app, payloads.role_payload(1 << 40), guild_id=1)
    refused = 0
    for page in range(_page_count(snapshot)):
        await (await backend.role_create(marker, confirm=True))
        before = await cachestate.picture(database, stub)
        _flip_middle_of_page(snapshot, files / "flipped.kura", page)
        try:
            await backend.restore(files / "flipped.kura")
        except InvalidArgumentError as exc:
            assert exc.message.startswith("snapshot: "), exc.message
            assert await cachestate.picture(database, stub) == before, f"page {page}"
            refused += 1
        else:
            assert await cachestate.served(stub) == intact, f"page {page}"
        assert cachestate.database_files(database) == _files_of(database)
    assert refused > _page_count(snapshot) // 2


async def test_restore_of_a_file_that_does_not_exist_raises_and_changes_nothing(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    await cachestate.seed(target, app)
    before = await cachestate.picture(database, stub)

    with pytest.raises(FileNotFoundError):
        await backend.restore(files / "missing.kura")

    assert await cachestate.picture(database, stub) == before
    assert cachestate.database_files(database) == _files_of(database)


# -- the server's files ------------------------------------------------------------------------


async def test_snapshot_and_restore_leave_no_file_beside_the_database(
    target: str,
    app: hikari.GatewayBot,
    backend: GrpcBackend,
    database: pathlib.Path | str,
    stub: cache_service_pb2_grpc.CacheServiceStub,
    files: pathlib.Path,
) -> None:
    await cachestate.seed(target, app)

    await backend.snapshot(files / "cache.kura")
    assert cachestate.database_files(database) == _files_of(database)
    await backend.restore(files / "cache.kura")
    assert cachestate.database_files(database) == _files_of(database)
    _cut(0.5)(files / "cache.kura", files / "cut.kura")
    with pytest.raises(InvalidArgumentError):
        await backend.restore(files / "cut.kura")
    assert cachestate.database_files(database) == _files_of(database)


async def test_server_restarted_on_its_database_after_a_restore_serves_the_restored_cache(
    tmp_path: pathlib.Path, app: hikari.GatewayBot, files: pathlib.Path
) -> None:
    database = tmp_path / "kura.sqlite3"
    first = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await first.start()
    try:
        seeded = await cachestate.seed(f"127.0.0.1:{first.port}", app)
        client = GrpcBackend(f"127.0.0.1:{first.port}", app=app)
        await client.connect()
        try:
            await client.snapshot(files / "cache.kura")
            await client.clear(channels=True, guilds=True, members=True, roles=True)
            await client.restore(files / "cache.kura")
        finally:
            await client.disconnect()
    finally:
        await first.stop()

    second = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await second.start()
    try:
        client = GrpcBackend(f"127.0.0.1:{second.port}", app=app)
        await client.connect()
        try:
            await _assert_holds_exactly(client, seeded)
        finally:
            await client.disconnect()
    finally:
        await second.stop()
