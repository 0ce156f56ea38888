"""Fixtures: one migrated database per run (SQLite by default, PostgreSQL with
TEST_DATABASE_URL), emptied after every test; factories return callables."""

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from extensions import db, limiter
from models import Endorsement, EndorsementStatus, Moderator, Role, Statement, StatementStatus, now_utc

ROOT = Path(__file__).resolve().parent.parent
SHARED_STATEMENT = ROOT / "statements" / "2024-06-27-stop-reprisals-against-central.md"
PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


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


class FreshContextClient(FlaskClient):
    """Each request in an app context of its own, as in production: `g` (Flask-Login's user,
    Flask-WTF's token, the locale) and the database session do not leak from the test's own
    context, which the `app` fixture keeps pushed, into the request or from one request to
    the next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_test_app(database_url: str, **config):
    settings = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://jointly.test",
        "OUTBOX_DELIVERY": "inline",
        # Switched on by the tests that are about them.
        "RATELIMIT_ENABLED": False,
        "SIGNON_MIN_SECONDS": 0,
    }
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture
def app_config():
    """Extra settings for the app under test; a test module overrides this fixture."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = make_test_app(database_url, **app_config)
    with app.app_context():
        yield app
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
def runner(app):
    return app.test_cli_runner()


def csrf_from(response) -> str:
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def make_statement(app):
    def make(**fields) -> Statement:
        fields.setdefault(
            "slug", f"statement-{db.session.scalar(sa.select(sa.func.count(Statement.id))) + 1}"
        )
        fields.setdefault("title", "A test statement")
        fields.setdefault("kicker", "Joint Statement")
        fields.setdefault("body", "We **call** on everyone.")
        fields.setdefault("status", StatementStatus.OPEN)
        statement = Statement(**fields)
        db.session.add(statement)
        db.session.commit()
        return statement

    return make


@pytest.fixture
def make_endorsement(app):
    def make(statement: Statement, status: str = EndorsementStatus.PENDING, **fields) -> Endorsement:
        fields.setdefault("organisation", "Test Organisation")
        fields.setdefault("contact_name", "Sok Dara")
        fields.setdefault("email", "dara@example.org")
        fields.setdefault("authorised", True)
        if status != EndorsementStatus.UNCONFIRMED:
            fields.setdefault("confirmed_at", now_utc())
        endorsement = Endorsement(statement=statement, status=status, **fields)
        endorsement.refresh_key()
        db.session.add(endorsement)
        if status == EndorsementStatus.APPROVED and endorsement.position is None:
            endorsement.position = db.session.scalar(Endorsement.next_position(statement.id))
        db.session.add(endorsement)
        db.session.commit()
        return endorsement

    return make


@pytest.fixture
def make_moderator(app):
    def make(
        email: str = "mod@example.org", role: str = Role.MODERATOR, password: str = PASSWORD
    ) -> Moderator:
        moderator = Moderator(email=email, role=role, active=True)
        moderator.set_password(password)
        db.session.add(moderator)
        db.session.commit()
        return moderator

    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str = "mod@example.org", password: str = PASSWORD, next_url: str | None = None):
        token = csrf_from(self.client.get("/login"))
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self.client.post(url, data={"email": email, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_from(self.client.get("/moderation/"))
        return self.client.post("/logout", data={"csrf_token": token})


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
def shared_statement(app):
    from domain.statements import import_statement

    statement, _ = import_statement(SHARED_STATEMENT)
    db.session.commit()
    return statement


LINK = re.compile(r"https?://[^\s/]+(/\S+)")


def link_in(body: str, prefix: str) -> str:
    """The path of the first link in a mail that starts with `prefix` (e.g. '/confirm/')."""
    for path in LINK.findall(body):
        if path.startswith(prefix):
            return path
    raise AssertionError(f"no {prefix} link in mail:\n{body}")


def outbox_mails(kind: str | None = None, to: str | None = None):
    from models import OutboxMail

    query = sa.select(OutboxMail).order_by(OutboxMail.id)
    if kind:
        query = query.where(OutboxMail.kind == kind)
    if to:
        query = query.where(OutboxMail.recipient == to)
    db.session.expire_all()
    return db.session.scalars(query).all()


def confirm_by_mail(client, email: str):
    """Follow the confirmation link of the latest mail to `email`, as its reader would."""
    path = link_in(outbox_mails("confirm_endorsement", to=email)[-1].body, "/confirm/")
    token = csrf_from(client.get(path))
    return client.post(path, data={"csrf_token": token})
