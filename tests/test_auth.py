import pytest

from tests.conftest import PASSWORD


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
    strip = lambda r: r.get_data(as_text=True).split('name="csrf_token"')[0]  # noqa: E731
    assert strip(wrong) == strip(unknown)


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
