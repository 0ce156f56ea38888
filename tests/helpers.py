"""What several test modules share: the test app, sample data, and reading pages and mails as
a person would. Pages are read through an HTML parser, never matched as raw markup."""

import io
import re
import time
from pathlib import Path

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from pypdf import PdfReader

from app import create_app
from domain.mail_transport import compose
from extensions import db
from models import ModerationEvent, OutboxMail, SignonIntake

ROOT = Path(__file__).resolve().parent.parent
SHARED_STATEMENT = ROOT / "statements" / "2024-06-27-stop-reprisals-against-central.md"
PASSWORD = "correct horse battery"
# A complete, valid sign-on.
VALID = {
    "organisation": "Mekong Fishers Network",
    "acronym": "MFN",
    "location": "Kratie",
    "website": "https://mfn.example.org",
    "contact_name": "Chan Sophea",
    "email": "sophea@example.org",
    "phone": "+855 12 345 678",
    "message": "We support this.",
    "authorised": "y",
}


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


# ---------------------------------------------------------------- reading pages


def parse(page) -> BeautifulSoup:
    """A page (a response or its text) as a tree."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return BeautifulSoup(html, "html.parser")


def text_of(page) -> str:
    """What a reader sees: the page's text with its spacing folded."""
    return " ".join(parse(page).get_text(" ").split())


def hidden_fields(page, action: str | None = None) -> dict[str, str]:
    """The hidden inputs of the first form (whose action ends with `action`, if given)."""
    for form in parse(page).find_all("form"):
        if action is None or (form.get("action") or "").endswith(action):
            fields = form.find_all("input", type="hidden")
            return {field["name"]: field.get("value", "") for field in fields if field.get("name")}
    raise AssertionError(f"no form with action …{action} on the page")


def csrf_from(page) -> str:
    field = parse(page).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "no CSRF token on the page"
    return field["value"]


def list_items(page) -> list[str]:
    """The public list of endorsers as a reader reads it, one line per entry."""
    listing = parse(page).find("ol", class_="endorser-list")
    assert listing is not None, "no endorser list on the page"
    return [" ".join(item.get_text(" ").split()).replace(" )", ")") for item in listing.find_all("li")]


# ---------------------------------------------------------------- the shared statement


def expected_lines() -> list[str]:
    """The shared statement's endorser lines exactly as published, stray spaces inside brackets folded."""
    items = re.findall(r"^\s*\d+\.\s+(.+?)\s*$", SHARED_STATEMENT.read_text(encoding="utf-8"), flags=re.M)
    return [re.sub(r"\s+\)", ")", item) for item in items]


# ---------------------------------------------------------------- acting as people do


def sign(client, slug="s", **changes):
    """Fill the form as a browser would: the form page's hidden fields (CSRF token, form timer) go along."""
    page = client.get(f"/statements/{slug}/sign")
    data = {**VALID, **hidden_fields(page, f"/statements/{slug}/sign"), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/statements/{slug}/sign", data=data)


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


def post_button(client, url, page="/moderation/", **data):
    """Press a moderator's button: the CSRF token from `page`, then the POST."""
    return client.post(url, data={"csrf_token": csrf_from(client.get(page)), **data})


# ---------------------------------------------------------------- what was stored and sent


def wait_until(condition, timeout: float = 10, every: float = 0.05):
    """Poll until `condition()` is true (and return its value), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition.__doc__ or condition}")
        time.sleep(every)
    return value


def signons_decided() -> bool:
    """Every sign-on taken so far has been decided (the background thread or worker is done)."""
    db.session.expire_all()
    return (
        db.session.scalar(
            sa.select(sa.func.count(SignonIntake.id)).where(SignonIntake.processed_at.is_(None))
        )
        == 0
    )


def events(action=None) -> list[ModerationEvent]:
    query = sa.select(ModerationEvent).order_by(ModerationEvent.id)
    if action:
        query = query.where(ModerationEvent.action == action)
    return db.session.scalars(query).all()


def outbox_mails(kind: str | None = None, to: str | None = None) -> list[OutboxMail]:
    query = sa.select(OutboxMail).order_by(OutboxMail.id)
    if kind:
        query = query.where(OutboxMail.kind == kind)
    if to:
        query = query.where(OutboxMail.recipient == to)
    db.session.expire_all()
    return db.session.scalars(query).all()


LINK = re.compile(r"https?://[^\s/]+(/\S+)")


def link_in(body: str, prefix: str) -> str:
    """The path of the first link in a mail that starts with `prefix` (e.g. '/confirm/')."""
    for path in LINK.findall(body):
        if path.startswith(prefix):
            return path
    raise AssertionError(f"no {prefix} link in mail:\n{body}")


def mail_settings(smtp) -> dict:
    """App settings that send mail to the test's SMTP server (the `smtp` fixture)."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_SUPPRESS_SEND": False}


def body_of(message) -> str:
    """The plain text of a mail as the SMTP server received it."""
    return message.get_body(("plain",)).get_content()


def as_sent(outbox_mail: OutboxMail) -> str:
    """The text of a queued mail as its reader gets it: personal links made as the sender makes
    them (the stored text holds none)."""
    return compose(outbox_mail).body


def confirm_by_mail(client, email: str):
    """Follow the confirmation link of the latest mail to `email`, as its reader would."""
    path = link_in(as_sent(outbox_mails("confirm_endorsement", to=email)[-1]), "/confirm/")
    token = csrf_from(client.get(path))
    return client.post(path, data={"csrf_token": token})


# ---------------------------------------------------------------- exports


def squash(text: str) -> str:
    """WeasyPrint breaks long names across lines and columns; compare without any whitespace."""
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- statement updates (issue 17.2)


def write_update(client, statement_id: int, **texts):
    """An admin writes an update on its page: `subject_en="..."`, `body_en="..."`, and so on."""
    page = client.get(f"/moderation/admin/updates/new/{statement_id}")
    return client.post(
        f"/moderation/admin/updates/new/{statement_id}", data={"csrf_token": csrf_from(page), **texts}
    )


def send_update_by_page(client, update_id: int):
    """An admin presses Send on the update's page."""
    page = f"/moderation/admin/updates/{update_id}"
    return post_button(client, f"{page}/send", page=page)


def unsubscribe_path(message) -> str:
    """The path of the List-Unsubscribe link of a received mail."""
    header = message["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">"), header
    return LINK.findall(header[1:-1])[0]
