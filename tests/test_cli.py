import sqlalchemy as sa

from extensions import db
from models import Moderator
from tests.helpers import make_test_app


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


def test_a_moderator_can_be_created_before_the_first_run(tmp_path):
    """`make moderator` (or the CLI) in a second terminal before `make run` has migrated anything."""
    fresh = make_test_app("sqlite:///" + str(tmp_path / "fresh.sqlite3"))
    result = fresh.test_cli_runner().invoke(
        args=["moderators", "create", "first@example.org", "--admin", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created them" in result.output
    with fresh.app_context():
        assert db.session.scalar(sa.select(Moderator.email)) == "first@example.org"
        assert "statements" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_a_migrated_database_is_not_migrated_again(runner):
    result = runner.invoke(
        args=["moderators", "create", "b@example.org", "--password-stdin"], input="a long password\n"
    )
    assert result.exit_code == 0 and "created them" not in result.output
