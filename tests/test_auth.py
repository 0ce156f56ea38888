import pytest
import sqlalchemy as sa

from tests.helpers import PASSWORD, csrf_from, parse


def test_login_and_logout(client, auth, make_moderator):
    make_moderator()
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/moderation/"
    assert client.get("/moderation/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/moderation/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, auth, make_moderator):
    make_moderator()
    wrong = auth.login(password="not the password")
    unknown = auth.login(email="nobody@example.org", password=PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is not right." in wrong.get_data(as_text=True)
    assert same_but_token_and_email(wrong) == same_but_token_and_email(unknown)


def same_but_token_and_email(response) -> str:
    """The answer page without what differs by design: the CSRF token and the email typed back."""
    page = parse(response)
    for name in ("csrf_token", "email"):
        page.find("input", attrs={"name": name}).attrs.pop("value", None)
    return str(page)


def test_inactive_moderator_cannot_log_in(auth, make_moderator):
    from extensions import db

    moderator = make_moderator()
    moderator.active = False
    db.session.commit()
    assert auth.login().status_code == 401


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_cannot_send_to_another_site(auth, make_moderator, target):
    make_moderator()
    response = auth.login(next_url=target)
    assert response.headers["Location"] == "/moderation/"


def test_next_to_a_local_page_is_followed(auth, make_moderator):
    make_moderator()
    assert auth.login(next_url="/moderation/endorsements").headers["Location"] == "/moderation/endorsements"


def test_logout_by_get_is_not_allowed(moderator_client):
    response = moderator_client.get("/logout")
    assert response.status_code == 405
    assert moderator_client.get("/moderation/").status_code == 200


def test_password_is_hashed_with_argon2id(make_moderator):
    assert make_moderator().password_hash.startswith("$argon2id$")


def _copied_session(client, app, user_agent: str | None = None):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    if user_agent:
        thief.environ_base["HTTP_USER_AGENT"] = user_agent
    return thief


def test_a_copied_cookie_does_not_open_a_session_in_another_browser(app, client, auth, make_moderator):
    make_moderator()
    auth.login()
    thief = _copied_session(client, app, user_agent="Mozilla/5.0 (another browser)")
    assert thief.get("/moderation/").status_code == 302
    assert client.get("/moderation/").status_code == 200  # the moderator's own session is untouched


def test_logout_ends_copies_of_the_session_too(app, client, auth, make_moderator):
    make_moderator()
    auth.login()
    copy = _copied_session(client, app)
    assert copy.get("/moderation/").status_code == 200  # the same browser: a real session
    auth.logout()
    assert copy.get("/moderation/").status_code == 302


@pytest.mark.parametrize("how", ["password reset with the CLI", "deactivation", "role change"])
def test_the_server_ends_sessions(app, client, auth, make_moderator, runner, how):
    from extensions import db

    moderator = make_moderator()
    auth.login()
    if how == "password reset with the CLI":
        result = runner.invoke(
            args=["moderators", "create", moderator.email, "--password-stdin"], input="x" * 12
        )
        assert result.exit_code == 0, result.output
    elif how == "deactivation":
        admin = make_moderator(email="admin@example.org", role="admin")
        admin_client = app.test_client()
        token = csrf_from(admin_client.get("/login"))
        admin_client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
        page = admin_client.get("/moderation/admin/moderators")
        admin_client.post(
            f"/moderation/admin/moderators/{moderator.id}/toggle", data={"csrf_token": csrf_from(page)}
        )
    else:
        result = runner.invoke(
            args=["moderators", "create", moderator.email, "--admin", "--password-stdin"], input=PASSWORD
        )
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert client.get("/moderation/").status_code == 302


def test_a_session_ends_after_its_hours_whatever_the_activity(app, client, auth, make_moderator):
    make_moderator()
    auth.login()
    with client.session_transaction() as session:
        session["logged_in_at"] -= 8 * 3600 - 60  # logged in 7 h 59 min ago, busy ever since
    assert client.get("/moderation/").status_code == 200
    with client.session_transaction() as session:
        session["logged_in_at"] -= 120
    assert client.get("/moderation/").status_code == 302


def test_the_csrf_token_is_new_after_login_and_after_logout(client, auth, make_moderator):
    make_moderator()
    before = csrf_from(client.get("/login"))
    auth.login()
    during = csrf_from(client.get("/moderation/"))
    auth.logout()
    after = csrf_from(client.get("/login"))
    assert len({before, during, after}) == 3


def test_an_admin_cannot_deactivate_their_own_account(admin_client):
    from extensions import db
    from models import Moderator

    admin = db.session.scalar(Moderator.select_by_email("admin@example.org"))
    page = admin_client.get("/moderation/admin/moderators")
    response = admin_client.post(
        f"/moderation/admin/moderators/{admin.id}/toggle",
        data={"csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active
    assert admin_client.get("/moderation/").status_code == 200


def test_a_second_account_for_the_same_email_is_refused(admin_client, make_moderator):
    from extensions import db
    from models import Moderator

    make_moderator(email="someone@example.org")
    page = admin_client.get("/moderation/admin/moderators")
    response = admin_client.post(
        "/moderation/admin/moderators",
        data={
            "csrf_token": csrf_from(page),
            "email": "Someone@Example.org",
            "role": "moderator",
            "password": "another long password",
        },
    )
    assert response.status_code == 200
    assert "There is already an account with this email." in response.get_data(as_text=True)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Moderator))
    assert count == 2
