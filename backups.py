"""Consistent copies of the database and their restore (`flask backup`, `flask restore`).

SQLite: the online backup API copies a consistent snapshot while the app keeps serving.
PostgreSQL: `pg_dump --format=custom` (one consistent snapshot too) and `pg_restore`. A backup
is restored into the same kind of database it came from.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Files `backup --before-upgrade` writes into BACKUP_DIR; only these are pruned.
AUTOMATIC_PREFIX = "jointly-"
# Tables whose rows are not data worth a backup: the schema's revision and the health probe.
BOOKKEEPING_TABLES = frozenset({"alembic_version", "health_probes"})


class BackupError(Exception):
    """A backup or restore that cannot be done, said in words for the operator."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL (None for PostgreSQL or an in-memory database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def holds_data(engine: Engine) -> bool:
    """Whether any table of the database has a row (bookkeeping tables aside)."""
    tables = set(sa.inspect(engine).get_table_names()) - BOOKKEEPING_TABLES
    with engine.connect() as connection:
        return any(
            connection.execute(sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)).first()
            for name in sorted(tables)
        )


def migrations_pending(engine: Engine, directory: str) -> bool:
    """Whether `flask db upgrade` would change the schema."""
    heads = set(ScriptDirectory(directory).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) != heads


def automatic_path(engine: Engine, backup_dir: str) -> Path:
    """BACKUP_DIR/jointly-20261201-120000-000000.sqlite3 (or .pgdump): sorted by name, oldest first."""
    suffix = ".sqlite3" if engine.dialect.name == "sqlite" else ".pgdump"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    return Path(backup_dir) / f"{AUTOMATIC_PREFIX}{stamp}{suffix}"


def prune(backup_dir: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` automatic backups; returns the deleted ones."""
    automatic = sorted(Path(backup_dir).glob(f"{AUTOMATIC_PREFIX}*"), key=lambda path: path.name)
    old = automatic[: max(0, len(automatic) - keep)]
    for path in old:
        path.unlink()
    return old


def backup(engine: Engine, path: Path) -> Path:
    """Write a consistent copy of the database to `path` (mode 0600: it holds contact data)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_copy(_sqlite_file(engine), partial)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], engine)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore(engine: Engine, path: Path, force: bool = False) -> None:
    """Replace the database's content with the backup's. Refuses a database that holds data
    unless `force`; the caller backs that data up first."""
    kind = backup_kind(path)
    if kind != engine.dialect.name:
        raise BackupError(
            f"{path} is a {kind} backup; this database is {engine.dialect.name}. Nothing was changed."
        )
    if holds_data(engine) and not force:
        raise BackupError(
            "The database holds data. Restore into an empty database, or give --force. Nothing was changed."
        )
    engine.dispose()
    if kind == "sqlite":
        _sqlite_copy(path, _sqlite_file(engine))
        return
    tables = sa.MetaData()
    tables.reflect(bind=engine)
    tables.drop_all(bind=engine)
    engine.dispose()
    options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run(["pg_restore", *options, str(path)], engine, database_option=True)


def backup_kind(path: Path) -> str:
    """'sqlite' or 'postgresql', read from the file's first bytes."""
    with open(path, "rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup made by `flask backup`.")


def _sqlite_file(engine: Engine) -> Path:
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        raise BackupError("An in-memory database cannot be backed up or restored.")
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: page by page, consistent, while others read and write."""
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()


def _run(command: list[str], engine: Engine, database_option: bool = False) -> None:
    """pg_dump or pg_restore against the engine's database; the password goes in the
    environment, never on a command line others can read."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    url = engine.url
    env = {**os.environ, "PGDATABASE": url.database or ""}
    for name, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username)):
        if value:
            env[name] = str(value)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    if database_option:
        command = [*command[:-1], f"--dbname={url.database}", command[-1]]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
