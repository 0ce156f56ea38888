"""Fixtures: one migrated database per run (SQLite by default, PostgreSQL with
TEST_DATABASE_URL), emptied after every test; factories return callables."""

import os

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from extensions import db, limiter
from models import Endorsement, EndorsementStatus, Moderator, Role, Statement, StatementStatus, now_utc
from tests.helpers import PASSWORD, ROOT, SHARED_STATEMENT, AuthActions, make_test_app, require_binary
from tests.servers import RedisServer
from tests.smtp import SmtpServer

# The browser and live-server fixtures (`browser`, `new_page`, `artifacts`, `live_server`,
# `smtp_server`, `inbox`), for every module that asks for them.
pytest_plugins = ("tests.browsing", "tests.live_server")


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    path.touch(mode=0o600)  # as the app creates its own: private (an empty file is a new database)
    return f"sqlite:///{path}"


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Build the schema once, through the migrations, as production does."""
    url = _database_url(tmp_path_factory)
    _drop_everything(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    return url


@pytest.fixture
def app_config():
    """Extra settings for the app under test; a test module overrides this fixture."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = make_test_app(database_url, **app_config)
    with app.app_context():
        yield app
        # A sender thread the test started must not outlive it and take the next test's mail.
        sender = app.extensions.get("jointly_outbox")
        if sender is not None:
            sender.stop()
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def limited_client(database_url, app):
    """A client of an app with its rate limits on, none of them used yet. Flask-Limiter checks
    and counts in hooks it installs only when an app starts with limits on, so this is an app
    of its own, on the same database as `app`."""
    limited = make_test_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    yield limited.test_client()
    limiter.reset()
    with limited.app_context():
        db.engine.dispose()


@pytest.fixture
def smtp():
    """A real SMTP server on a free port of 127.0.0.1, for one test (see `mail_settings`)."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def saved(row):
    """A factory's last step: the row added and committed."""
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def make_statement(app):
    def make(**fields) -> Statement:
        number = db.session.scalar(sa.select(sa.func.count(Statement.id))) + 1
        defaults = {
            "slug": f"statement-{number}",
            "title": "A test statement",
            "kicker": "Joint Statement",
            "body": "We **call** on everyone.",
            "status": StatementStatus.OPEN,
        }
        return saved(Statement(**{**defaults, **fields}))

    return make


@pytest.fixture
def statement(make_statement):
    """An open statement at /statements/s, for the modules about one statement."""
    return make_statement(slug="s", title="Free the Press")


@pytest.fixture
def make_endorsement(app):
    def make(statement: Statement, status: str = EndorsementStatus.PENDING, **fields) -> Endorsement:
        defaults = {
            "organisation": "Test Organisation",
            "contact_name": "Sok Dara",
            "email": "dara@example.org",
            "authorised": True,
        }
        if status != EndorsementStatus.UNCONFIRMED:
            defaults["confirmed_at"] = now_utc()
        endorsement = Endorsement(statement=statement, status=status, **{**defaults, **fields})
        endorsement.refresh_key()
        db.session.add(endorsement)
        if status == EndorsementStatus.APPROVED and endorsement.position is None:
            endorsement.position = db.session.scalar(Endorsement.next_position(statement.id))
        return saved(endorsement)

    return make


@pytest.fixture
def make_moderator(app):
    def make(
        email: str = "mod@example.org", role: str = Role.MODERATOR, password: str = PASSWORD
    ) -> Moderator:
        moderator = Moderator(email=email, role=role, active=True)
        moderator.set_password(password)
        return saved(moderator)

    return make


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def moderator_client(client, auth, make_moderator):
    """A client logged in as a plain moderator."""
    make_moderator()
    response = auth.login()
    assert response.status_code == 302
    return client


@pytest.fixture
def admin_client(app, make_moderator):
    """A client of its own logged in as an admin, beside `client` (an endorser, a moderator)."""
    make_moderator(email="admin@example.org", role=Role.ADMIN)
    admin = app.test_client()
    assert AuthActions(admin).login(email="admin@example.org").status_code == 302
    return admin


@pytest.fixture
def khmer_client(client):
    """`client` in a browser whose reader chose Khmer (the language cookie)."""
    client.set_cookie("lang", "km")
    return client


@pytest.fixture
def khmer_moderator(moderator_client):
    """`moderator_client`, the moderator having chosen Khmer."""
    moderator_client.set_cookie("lang", "km")
    return moderator_client


@pytest.fixture
def shared_statement(app):
    from domain.statements import import_statement

    statement, _ = import_statement(SHARED_STATEMENT)
    db.session.commit()
    return statement


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server for this test, which the test may stop or kill."""
    with RedisServer(require_binary("redis-server", "redis-server"), tmp_path) as server:
        yield server
