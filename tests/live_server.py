"""The app as a real gunicorn process on 127.0.0.1, for tests that drive a browser.

tests/conftest.py loads the fixtures as a plugin, so any test module may ask for them.

The server reads and writes the same test database as the pytest process, so the
usual factory fixtures seed it and the `app` fixture empties it after each test.
"""

import pytest

from tests.servers import Gunicorn
from tests.smtp import SmtpServer

SECRET_KEY = "browser-tests-secret"


ORGANISER_NAME, ORGANISER_EMAIL = "The Coalition's Secretariat", "secretariat@coalition.example"


def live_settings(smtp_port: int) -> dict:
    """Mail goes to the test's SMTP server, sent in the background as in production."""
    return {
        "SECRET_KEY": SECRET_KEY,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": "false",
        "OUTBOX_DELIVERY": "background",
        "RATELIMIT_ENABLED": "false",
        "SIGNON_MIN_SECONDS": "0",
        "ORGANISER_NAME": ORGANISER_NAME,
        "ORGANISER_EMAIL": ORGANISER_EMAIL,
    }


@pytest.fixture(scope="module")
def smtp_server():
    """A real SMTP server for the module (the live server delivers to it); see `inbox` for a
    per-test view."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live_server(database_url, smtp_server, tmp_path_factory):
    """One worker with a few threads, as Chromium opens several connections at once."""
    log_path = tmp_path_factory.mktemp("live") / "gunicorn.log"
    settings = live_settings(smtp_server.port)
    # Chromium keeps connections alive; a short graceful timeout stops the server without waiting for them.
    with Gunicorn(
        database_url, settings, workers=1, threads=4, graceful_timeout=2, log_path=log_path
    ) as server:
        yield server


@pytest.fixture
def inbox(smtp_server):
    """The SMTP inbox, emptied before each test."""
    smtp_server.inbox.messages.clear()
    return smtp_server.inbox
