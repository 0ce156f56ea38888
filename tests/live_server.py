"""The app as a real gunicorn process on 127.0.0.1, for tests that drive a browser.

Fixtures carry `name=` so a test module can import them without shadowing its arguments.

The server reads and writes the same test database as the pytest process, so the
usual factory fixtures seed it and the `app` fixture empties it after each test.
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.smtp import SmtpServer, free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
SECRET_KEY = "browser-tests-secret"
START_TIMEOUT = 20


class LiveServer:
    """One gunicorn worker with a few threads; `url(path)` gives an absolute address."""

    def __init__(self, database_url: str, smtp_port: int, log_path: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.smtp_port = smtp_port
        self.log_path = log_path
        self._log = None
        self._process = None

    def environment(self) -> dict:
        env = os.environ.copy()
        for name in ("WEB_CONCURRENCY", "FLASK_DEBUG", "PORT"):
            env.pop(name, None)
        env.update(
            DATABASE_URL=self.database_url,
            SECRET_KEY=SECRET_KEY,
            BASE_URL=self.base_url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(self.smtp_port),
            MAIL_SUPPRESS_SEND="false",
            OUTBOX_DELIVERY="background",
            # Settings other issues add; harmless while the app does not read them yet.
            RATELIMIT_ENABLED="false",
            SIGNON_MIN_SECONDS="0",
        )
        return env

    def start(self) -> "LiveServer":
        if not GUNICORN.exists():
            pytest.fail(f"gunicorn not found at {GUNICORN}: install requirements.txt into the venv")
        self._log = open(self.log_path, "w")  # closed in stop()
        self._process = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                "1",
                "--threads",
                "4",
                # Chromium keeps connections alive; do not wait 30 s for them at shutdown.
                "--graceful-timeout",
                "2",
                # The default control socket is one path per user; parallel servers would share it.
                "--no-control-socket",
                "-b",
                f"127.0.0.1:{self.port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"the server exited with {self._process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("/ping"), timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not answer /ping within {START_TIMEOUT} s:\n{self.log()}")

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def log(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


@pytest.fixture(scope="module", name="smtp_server")
def smtp_server_fixture():
    """A real SMTP server that the live server delivers to; see `inbox` for a per-test view."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", name="live_server")
def live_server_fixture(database_url, smtp_server, tmp_path_factory):
    server = LiveServer(database_url, smtp_server.port, tmp_path_factory.mktemp("live") / "gunicorn.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="inbox")
def inbox_fixture(smtp_server):
    """The SMTP inbox, emptied before each test."""
    smtp_server.inbox.messages.clear()
    return smtp_server.inbox
