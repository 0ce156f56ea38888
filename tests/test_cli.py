import sqlalchemy as sa

from extensions import db
from models import Moderator


def test_create_moderator_from_stdin_then_log_in(runner, auth):
    result = runner.invoke(
        args=["moderators", "create", "New@Example.org", "--password-stdin"], input="a long password\n"
    )
    assert result.exit_code == 0, result.output
    moderator = db.session.scalar(sa.select(Moderator))
    assert moderator.email == "new@example.org" and moderator.role == "moderator"
    assert auth.login(email="new@example.org", password="a long password").status_code == 302


def test_create_admin_with_prompt(runner):
    result = runner.invoke(
        args=["moderators", "create", "boss@example.org", "--admin"],
        input="another password\nanother password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Moderator)).role == "admin"


def test_short_password_is_refused(runner):
    result = runner.invoke(
        args=["moderators", "create", "a@example.org", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0 and "at least 10" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Moderator.id))) == 0


def test_bad_email_is_refused(runner):
    result = runner.invoke(
        args=["moderators", "create", "nobody", "--password-stdin"], input="a long password\n"
    )
    assert result.exit_code != 0 and "email" in result.output


def test_statements_list(runner, shared_statement):
    result = runner.invoke(args=["statements", "list"])
    assert "stop-reprisals-against-central\topen" in result.output
