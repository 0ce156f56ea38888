"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from domain.mail_transport import compose
from domain.tokens import MANAGE, make_token, read_token
from extensions import db
from models import OutboxMail
from tests.helpers import ROOT, link_in, make_test_app

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


def test_upgrade_turns_links_already_stored_in_mails_into_markers(
    app, make_statement, make_endorsement, monkeypatch
):
    """Mails queued before personal links were made at send time held working links: the
    migration replaces each token with a marker, so the link is made afresh when sent."""
    monkeypatch.setenv("DOWNGRADE_BACKUP_TAKEN", "1")  # a test database, thrown away after the test
    endorsement_id = make_endorsement(make_statement()).id
    token = make_token(endorsement_id, MANAGE)
    body = f"Withdraw: http://jointly.test/manage/{token}?lang=en\n"
    db.session.add(OutboxMail(kind="confirm_endorsement", recipient="a@example.org", subject="s", body=body))
    db.session.commit()
    db.session.close()
    downgrade(
        directory=MIGRATIONS, revision=ScriptDirectory(MIGRATIONS).get_revision("b7d41e9c2a63").down_revision
    )
    upgrade(directory=MIGRATIONS)

    mail = db.session.scalar(sa.select(OutboxMail))
    mail.endorsement_id = endorsement_id
    assert token not in mail.body and mail.body.startswith("Withdraw: http://jointly.test/manage/link-")
    assert list(mail.links.values()) == ["manage"] and mail.message_id.startswith("<outbox-")
    assert (
        read_token(link_in(compose(mail).body, "/manage/").split("/")[2].split("?")[0], MANAGE)
        == endorsement_id
    )
