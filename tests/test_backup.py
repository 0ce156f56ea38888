"""Backups restore to identical rows; restore and downgrade never destroy data without being told."""

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from domain.statements import import_statement
from extensions import db
from tests.helpers import (
    ROOT,
    SHARED_STATEMENT,
    VALID,
    confirm_by_mail,
    make_test_app,
    scratch_database,
    sign,
)

MIGRATIONS = str(ROOT / "migrations")


def all_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tables = sa.MetaData()
    tables.reflect(bind=engine)
    with engine.connect() as connection:
        rows = {
            name: connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            for name, table in tables.tables.items()
        }
    engine.dispose()
    return rows


def invoke(app, *args: str):
    """A CLI command in `app`, whatever app the test has pushed (Flask runs a command in the
    current app context when there is one)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.engine.dispose()
    return result


@pytest.fixture
def scratch(database_url, tmp_path):
    """An empty database of the suite's kind."""
    with scratch_database(database_url, "restore", tmp_path) as url:
        yield url


def migrated_with_data(url: str):
    """A database built by the migrations, holding the shared statement and its 43 endorsers."""
    app = make_test_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        import_statement(SHARED_STATEMENT)
        db.session.commit()
        db.engine.dispose()
    return app


def test_backup_then_restore_into_an_empty_database_gives_identical_rows(
    app, client, runner, shared_statement, scratch, tmp_path
):
    sign(client, shared_statement.slug)
    confirm_by_mail(client, VALID["email"])
    path = tmp_path / "backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600  # it holds contact data
    restored = invoke(make_test_app(scratch), "restore", str(path))
    assert restored.exit_code == 0, restored.output
    original = all_rows(app.config["SQLALCHEMY_DATABASE_URI"])
    assert len(original["endorsements"]) == 44 and original["outbox"] and original["moderation_events"]
    assert all_rows(scratch) == original


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    app, runner, shared_statement, scratch, tmp_path
):
    path = tmp_path / "backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    target = migrated_with_data(scratch)
    target.config["BACKUP_DIR"] = str(tmp_path / "kept")
    with target.app_context():
        db.session.execute(sa.text("UPDATE endorsements SET organisation = 'Changed since' WHERE id = 1"))
        db.session.commit()
        db.engine.dispose()
    before = all_rows(scratch)
    refused = invoke(target, "restore", str(path))
    assert refused.exit_code == 1
    assert "holds data" in refused.output and "Nothing was changed" in refused.output
    assert all_rows(scratch) == before
    forced = invoke(target, "restore", "--force", str(path))
    assert forced.exit_code == 0, forced.output
    assert all_rows(scratch) == all_rows(app.config["SQLALCHEMY_DATABASE_URI"])
    (kept,) = (tmp_path / "kept").iterdir()  # what --force replaced was backed up first
    assert "backed up to" in forced.output and kept.name.startswith("jointly-")


def test_restore_refuses_a_file_that_is_no_backup(runner, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a backup")
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 1 and "is not a backup" in result.output


def test_make_serve_backs_up_before_migrating_a_database_with_data(scratch, tmp_path):
    """`backup --before-upgrade` (run by make serve and serve-nginx) writes a backup only when
    the database holds data and has a migration to apply, and keeps the last BACKUP_KEEP."""
    app = make_test_app(scratch, BACKUP_DIR=str(tmp_path / "backups"), BACKUP_KEEP=2)
    with app.app_context():
        script = ScriptDirectory(MIGRATIONS)
        previous = script.get_revision(script.get_current_head()).down_revision
        upgrade(directory=MIGRATIONS, revision=previous)
        db.engine.dispose()
    empty = invoke(app, "backup", "--before-upgrade")
    assert "No backup needed" in empty.output and not (tmp_path / "backups").exists()
    with app.app_context(), db.engine.begin() as connection:
        # Data written as the older schema holds it (the models describe the newest one).
        connection.execute(
            sa.text(
                "INSERT INTO blocked_email_domains (domain, created_at) VALUES ('x.example', '2026-01-01')"
            )
        )
    with app.app_context():
        db.engine.dispose()
    for _ in range(3):
        assert "Backup written" in invoke(app, "backup", "--before-upgrade").output
    assert len(list((tmp_path / "backups").iterdir())) == 2
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    assert "No backup needed" in invoke(app, "backup", "--before-upgrade").output


def test_a_downgrade_that_would_drop_endorsements_is_refused_without_a_backup(scratch, monkeypatch):
    app = migrated_with_data(scratch)
    monkeypatch.delenv("DOWNGRADE_BACKUP_TAKEN", raising=False)
    with app.app_context():
        with pytest.raises(SystemExit):
            downgrade(directory=MIGRATIONS, revision="base")
        db.engine.dispose()
    assert len(all_rows(scratch)["endorsements"]) == 43


def test_a_downgrade_with_a_backup_taken_goes_all_the_way_and_back(scratch, monkeypatch):
    """On SQLite it used to stop half-way (enforced foreign keys refused the batch copy of a
    referenced table) and leave an _alembic_tmp_ table behind."""
    app = migrated_with_data(scratch)
    monkeypatch.setenv("DOWNGRADE_BACKUP_TAKEN", "1")
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    assert all_rows(scratch)["endorsements"] == []
