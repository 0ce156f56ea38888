"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from extensions import db
from tests.helpers import ROOT, make_test_app

MIGRATIONS = str(ROOT / "migrations")


def _differences(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    return differences


def test_migrated_schema_matches_models(app):
    assert _differences(app) == []


def test_downgrade_to_empty_and_upgrade_again(database_url):
    app = make_test_app(database_url)
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    assert _differences(app) == []
