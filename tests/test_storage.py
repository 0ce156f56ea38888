"""Where the data lives: private files, and a SQLite write-ahead log that does not grow for ever."""

import logging
import stat

import sqlalchemy as sa

from app import SQLITE_WAL_LIMIT_BYTES, secure_instance
from extensions import db
from tests.helpers import make_test_app


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_folder_and_the_database_files_are_private(tmp_path):
    """Contact data is in the SQLite file: it was world-readable (0644)."""
    instance, database = tmp_path / "instance", tmp_path / "instance" / "jointly.sqlite3"
    secure_instance(str(instance), f"sqlite:///{database}")
    assert mode(instance) == 0o700 and mode(database) == 0o600
    app = make_test_app(f"sqlite:///{database}")
    with app.app_context():
        with db.engine.begin() as connection:  # SQLite makes -wal and -shm now, with the database's mode
            connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        wal, shm = (tmp_path / "instance" / f"jointly.sqlite3-{suffix}" for suffix in ("wal", "shm"))
        assert mode(wal) == 0o600 and mode(shm) == 0o600
        db.engine.dispose()


def test_wider_modes_are_warned_about_at_start(tmp_path, caplog):
    instance, database = tmp_path / "instance", tmp_path / "instance" / "jointly.sqlite3"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    database.touch()
    database.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="jointly.files"):
        secure_instance(str(instance), f"sqlite:///{database}")
    warnings = [record.getMessage() for record in caplog.records if record.name == "jointly.files"]
    assert len(warnings) == 2
    assert f"{instance} is mode 755" in warnings[0] and "chmod 0700" in warnings[0]
    assert f"{database} is mode 644" in warnings[1] and "chmod 0600" in warnings[1]
    assert mode(instance) == 0o755  # the operator's choice is left alone, but not in silence


def test_the_wal_stays_bounded_after_many_writes(tmp_path):
    """A WAL keeps its largest size unless a limit cuts it back after each checkpoint."""
    path = tmp_path / "wal.sqlite3"
    app = make_test_app(f"sqlite:///{path}")
    row = "x" * 4000
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        with db.engine.begin() as connection:  # one large transaction: about 16 MiB of WAL
            connection.execute(sa.text("INSERT INTO t (body) VALUES (:body)"), [{"body": row}] * 4000)
        for _ in range(300):  # then many small ones, as sign-ons are
            with db.engine.begin() as connection:
                connection.execute(sa.text("INSERT INTO t (body) VALUES (:body)"), {"body": row})
        wal = tmp_path / "wal.sqlite3-wal"
        assert wal.stat().st_size <= SQLITE_WAL_LIMIT_BYTES
        db.engine.dispose()
