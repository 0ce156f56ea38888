"""What several test modules share: the test app, sample data, and reading pages and mails as
a person would. Pages are read through an HTML parser, never matched as raw markup."""

import contextlib
import csv
import io
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup, Tag
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


# A Google Forms export as coalitions have them: a "Timestamp" column, English and Khmer names.
FORM_HEADERS = [
    "Timestamp",
    "Email Address",
    "Organisation name",
    "Acronym",
    "Province",
    "Website",
    "Contact person",
    "Phone number",
    "Message",
    "Score",
]
FORM_ROWS = [
    [
        "11/29/2026 14:03:12",
        "sophea@mfn.example.org",
        "Mekong Fishers Network",
        "MFN",
        "Kratie",
        "https://mfn.example.org",
        "Chan Sophea",
        "+855 12 345 678",
        "We support this.",
        "",
    ],
    [
        "11/30/2026 09:15:00",
        "dara@example.org",
        "សហគមន៍ព្រៃឡង់",
        "",
        "Kampong Thom",
        "",
        "Sok Dara",
        "012 345 678",
        "",
        "",
    ],
    [
        "12/01/2026 17:45:30",
        "info@cchr.example.org",
        "Cambodian Center for Human Rights",
        "CCHR",
        "Phnom Penh",
        "https://www.cchr.example.org",
        "Vann Sophath",
        "",
        "Count us in",
        "",
    ],
]
# What FORM_ROWS's timestamps mean (month first, as Google's default locale writes them).
FORM_TIMES = [
    datetime(2026, 11, 29, 14, 3, 12),
    datetime(2026, 11, 30, 9, 15),
    datetime(2026, 12, 1, 17, 45, 30),
]


def csv_bytes(headers=FORM_HEADERS, rows=FORM_ROWS, delimiter=",", encoding="utf-8") -> bytes:
    """A sheet saved as CSV the way a spreadsheet program writes it (CRLF line ends)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows([headers, *rows])
    return out.getvalue().encode(encoding)


def xlsx_bytes(headers=FORM_HEADERS, rows=FORM_ROWS) -> bytes:
    """The same sheet as an Excel workbook; timestamps as real date cells, as Google's export has them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Form responses 1"
    sheet.append(headers)
    for row in rows:
        cells = list(row)
        if headers[0] == "Timestamp" and cells[0]:
            cells[0] = datetime.strptime(cells[0], "%m/%d/%Y %H:%M:%S")
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
    """A page (a response or its text) as a tree; a tree (or a part of one) as it is."""
    if isinstance(page, Tag):
        return page
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return BeautifulSoup(html, "html.parser")


def text_of(page) -> str:
    """What a reader sees: the page's text with its spacing folded."""
    return folded(parse(page))


# Attributes whose words a person reads or hears: a field's hint, a title, a label, a description.
SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label", "content")


def words_shown(page) -> str:
    """The page's text and the words its attributes show (a button's value too), spacing folded:
    where every message of the interface must be in the reader's language."""
    tree = parse(page)
    words = [tree.get_text(" ")]
    for tag in tree.find_all(True):
        words += [tag[name] for name in SHOWN_ATTRIBUTES if isinstance(tag.get(name), str)]
        if tag.name == "input" and tag.get("type") in ("submit", "button", "reset"):
            words.append(tag.get("value", ""))
    return " ".join(" ".join(words).split())


def hidden_fields(page, action: str | None = None) -> dict[str, str]:
    """The hidden inputs of the first form (whose action ends with `action`, if given)."""
    for form in parse(page).find_all("form"):
        if action is None or (form.get("action") or "").endswith(action):
            fields = form.find_all("input", type="hidden")
            return {field["name"]: field.get("value", "") for field in fields if field.get("name")}
    raise AssertionError(f"no form with action …{action} on the page")


def form_values(page, action: str) -> dict[str, str]:
    """What a browser sends for the form whose action ends with `action`, untouched: its inputs,
    each select's chosen option and the ticked boxes (buttons are left for the test to press)."""
    form = next(f for f in parse(page).find_all("form") if (f.get("action") or "").endswith(action))
    values = {}
    for field in form.find_all("input"):
        kind = field.get("type", "text")
        if (
            field.get("name")
            and kind not in ("submit", "file")
            and (kind != "checkbox" or field.has_attr("checked"))
        ):
            values[field["name"]] = field.get("value", "")
    for select in form.find_all("select"):
        chosen = select.find("option", selected=True) or select.find("option")
        values[select["name"]] = chosen.get("value", "") if chosen else ""
    return values


def csrf_from(page) -> str:
    field = parse(page).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "no CSRF token on the page"
    return field["value"]


def folded(element) -> str:
    """An element's text as read, its spacing folded."""
    return " ".join(element.get_text(" ").split())


def count_line(page) -> tuple[str, str]:
    """The "Endorsed by N organisations" line of a statement page or an embed: its text, and
    the number it shows in bold."""
    line = parse(page).find(class_="count")
    assert line is not None and line.strong is not None, "no count line with a number on the page"
    return folded(line), line.strong.get_text()


def field_errors(page) -> list[str]:
    """The message under each refused field, in the order of the form."""
    return [folded(p) for p in parse(page).find_all("p", class_="error", id=re.compile(r"-error$"))]


def inline_scripts(page) -> list[str]:
    """The code of the page's inline scripts and event-handler attributes: what injected markup
    would run (text shown escaped adds none)."""
    tree = parse(page)
    inline = [script.get_text() for script in tree.find_all("script") if script.get_text().strip()]
    handlers = [
        value for tag in tree.find_all(True) for name, value in tag.attrs.items() if name.startswith("on")
    ]
    return inline + handlers


def list_items(page) -> list[str]:
    """The public list of endorsers as a reader reads it, one line per entry."""
    listing = parse(page).find("ol", class_="endorser-list")
    assert listing is not None, "no endorser list on the page"
    return [folded(item).replace(" )", ")") for item in listing.find_all("li")]


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


def stored_texts() -> list[tuple[str, str]]:
    """(table.column, value) for every text and JSON value in the database."""
    texts = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
            for row in connection.execute(sa.select(*columns)) if columns else ():
                texts += [(f"{table.name}.{c.name}", str(v)) for c, v in zip(columns, row, strict=True) if v]
    return texts


def wait_until(condition, timeout: float = 10, every: float = 0.05, explain=None):
    """Poll until `condition()` is true (and return its value), or fail after `timeout` seconds,
    saying what was awaited (and what `explain()` tells of the state then)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            state = f"; {explain()}" if explain else ""
            raise AssertionError(f"still not true after {timeout} s: {condition.__doc__ or condition}{state}")
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


def endorser_links(email: str) -> tuple[str, str]:
    """The confirm and the personal (manage) link of the latest confirmation mail to `email`."""
    body = as_sent(outbox_mails("confirm_endorsement", to=email)[-1])
    return link_in(body, "/confirm/"), link_in(body, "/manage/")


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


# ---------------------------------------------------------------- real parts the tests start


def require_binary(name: str, package: str, fallback: str | None = None) -> str:
    """The path of a program a test starts (e.g. redis-server); without it the test skips,
    except in CI, where a skip would hide an untested part, so it fails."""
    found = shutil.which(name) or (fallback if fallback and os.access(fallback, os.X_OK) else None)
    if found:
        return found
    reason = f"{name} is not installed (Debian: {package}); this test starts its own"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}. CI=true: a skip here would hide an untested part")
    pytest.skip(reason)


@contextlib.contextmanager
def scratch_database(database_url: str, name: str, tmp_path: Path):
    """An empty database of the suite's kind beside the test database: on PostgreSQL
    `<test database>_<name>`, made afresh and dropped afterwards; on SQLite a new file."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        return
    scratch = f"{url.database}_{name}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
    try:
        yield url.set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


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
