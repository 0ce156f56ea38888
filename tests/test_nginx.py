"""Through nginx with the shipped configuration (deploy/nginx.conf) in front of a real gunicorn:
slow clients wait in nginx, PDFs do not slow the page, shared responses are cached as the app
marks them and per-reader ones never, static files are served with long-lived caching."""

import gzip
import json
import os
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from bs4 import Doctype

from extensions import db
from models import Endorsement
from tests.helpers import ROOT, VALID, parse, require_binary, scratch_database, wait_until
from tests.servers import NGINX, UNSET, Gunicorn, Nginx
from tests.smtp import free_port

pytestmark = pytest.mark.server

SETTINGS = {
    "SECRET_KEY": "nginx-tests-secret",
    "OUTBOX_DELIVERY": "manual",
    "RATELIMIT_ENABLED": "false",
    "SIGNON_MIN_SECONDS": "0",
    "PROXY_FIX_HOPS": "1",
}


@pytest.fixture(scope="module")
def front(database_url, tmp_path_factory):
    """gunicorn with two sync workers, as production has, behind nginx."""
    require_binary("nginx", "nginx", NGINX)
    run_dir = tmp_path_factory.mktemp("nginx")
    with Gunicorn(database_url, SETTINGS, workers=2, log_path=run_dir / "gunicorn.log") as app_server:
        with Nginx(app_server, run_dir) as server:
            yield server


def get(server, path: str, headers: dict | None = None, timeout: float = 10):
    """One GET through nginx: (status, headers, raw body)."""
    return get_url(server.url(path), headers, timeout)


def get_url(url: str, headers: dict | None = None, timeout: float = 10):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def timed_get(server, path: str) -> float:
    started = time.monotonic()
    status, _, _ = get(server, path)
    assert status == 200
    return time.monotonic() - started


@pytest.fixture
def listed(make_statement, make_endorsement):
    statement = make_statement(slug="s")
    for n in range(30):
        name = f"Listed Organisation for the Defence of Rivers and Forests number {n}"
        make_endorsement(statement, status="approved", organisation=name, email=f"l{n}@example.org")
    return statement


def test_the_page_and_its_static_files_through_nginx(front, listed):
    status, headers, body = get(front, "/statements/s")
    assert status == 200 and headers["X-Request-ID"]
    page = parse(body.decode())
    stylesheet = page.find("link", rel="stylesheet")["href"]
    assert stylesheet.startswith("/static/site.css?v=")
    status, headers, body = get(front, stylesheet, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] == "gzip" and b"{" in gzip.decompress(body)
    assert "Server: gunicorn" not in str(headers)  # nginx served it itself


def test_a_hundred_slow_clients_do_not_delay_the_page(front, listed):
    """Connections that trickle their headers or their body a byte at a time held both sync
    workers for the whole timeout; nginx keeps them and hands gunicorn only whole requests."""
    baseline = max(timed_get(front, "/statements/s") for _ in range(3))
    sockets = []
    for n in range(100):
        connection = socket.create_connection(("127.0.0.1", front.port), timeout=5)
        if n % 2:
            head = b"POST /statements/s/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
            connection.sendall(head + b"organisation=")
        else:
            connection.sendall(b"G")
        sockets.append(connection)
    try:
        slowest = 0.0
        for _ in range(6):
            for connection in sockets:  # one more byte each, as a slow client sends
                try:
                    connection.send(b"x")
                except OSError:  # nginx may cut a client it finds too slow: that is its job
                    pass
            slowest = max(slowest, timed_get(front, "/statements/s"))
            time.sleep(0.2)
    finally:
        for connection in sockets:
            connection.close()
    assert slowest < baseline + 1.0, f"page took {slowest:.2f} s with slow clients (alone {baseline:.2f} s)"


def test_pdfs_fetched_in_a_loop_do_not_slow_the_page(front, listed):
    baseline = statistics.median(timed_get(front, "/statements/s") for _ in range(5))
    stop = threading.Event()
    cached = threading.Event()

    def fetch_pdfs():
        while not stop.is_set():
            status, headers, _ = get(front, "/statements/s/endorsements.pdf", timeout=30)
            assert status in (200, 429)
            if headers.get("X-Cache") == "HIT":
                cached.set()

    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(fetch_pdfs) for _ in range(4)]
        try:
            # The first PDF is rendered once; the loops then read it from the cache.
            wait_until(lambda: cached.is_set() or any(loop.done() for loop in loops), timeout=60)
            times = [timed_get(front, "/statements/s") for _ in range(15)]
        finally:
            stop.set()
        for loop in loops:
            loop.result()
    assert statistics.median(times) < baseline + 0.2, (
        f"page {times} with PDFs in a loop, alone {baseline:.3f} s"
    )
    assert max(times) < 1.0


def test_a_cross_site_post_is_refused(front, listed):
    """The contract for the page without per-reader fields: a POST from another site without
    a token is refused, and nothing is stored."""
    data = urllib.parse.urlencode(VALID).encode()
    request = urllib.request.Request(
        front.url("/statements/s/sign"),
        data=data,
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    try:
        status = urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status in (400, 403)
    db.session.expire_all()
    stored = db.session.scalar(sa.select(sa.func.count()).where(Endorsement.statement_id == listed.id))
    assert stored == 30


def test_nginx_caches_only_what_the_app_marks_shared(front, listed):
    path = "/statements/s/endorsements.csv"
    first = get(front, path)
    second = get(front, path)
    assert first[1]["Cache-Control"] == "public, max-age=0, s-maxage=10"
    assert (first[1]["X-Cache"], second[1]["X-Cache"]) == ("MISS", "HIT")
    assert first[2] == second[2]
    # A page for one reader (it sets the session cookie that carries the reader's CSRF token),
    # under the cache, is never kept; and outside the public pages the cache is not even asked.
    assert [get(front, "/statements/s/thanks")[1]["X-Cache"] for _ in range(2)] == ["MISS", "MISS"]
    assert "X-Cache" not in get(front, "/login")[1]


def test_a_session_is_never_served_from_or_stored_in_the_cache(front, listed):
    path = "/statements/s/endorsements.json"
    status, headers, _ = get(front, path, {"Cookie": "session=a-moderators-session"})
    assert status == 200 and headers["X-Cache"] == "BYPASS"
    assert get(front, path)[1]["X-Cache"] == "MISS"  # the moderator's answer was not stored
    assert get(front, path)[1]["X-Cache"] == "HIT"
    assert get(front, path, {"Cookie": "lang=km; session=x"})[1]["X-Cache"] == "BYPASS"


def test_conditional_requests_are_answered_from_the_cache(front, listed):
    path = "/statements/s/endorsements.md"
    etag = get(front, path)[1]["ETag"]
    assert etag.startswith('W/"')
    status, headers, body = get(front, path, {"If-None-Match": etag})
    assert (status, headers["X-Cache"], body) == (304, "HIT", b"")


def test_languages_and_encodings_are_cached_apart(front, listed):
    path = "/statements/s/endorsements.txt"
    english = get(front, path, {"Accept-Language": "en"})[2].decode()
    khmer = get(front, path, {"Accept-Language": "km"})[2].decode()
    chosen = get(front, path, {"Accept-Language": "en", "Cookie": "lang=km"})[2].decode()
    assert english != khmer and chosen == khmer
    zipped = get(front, path, {"Accept-Encoding": "gzip", "Accept-Language": "en"})
    plain = get(front, path, {"Accept-Language": "en"})
    assert zipped[1]["Content-Encoding"] == "gzip" and gzip.decompress(zipped[2]).decode() == english
    assert plain[1].get("Content-Encoding") is None and plain[2].decode() == english


def test_the_apps_own_gzip_is_passed_through_untouched(front, listed):
    status, headers, body = get(front, "/statements/s", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    page = parse(gzip.decompress(body).decode().lstrip())
    assert isinstance(page.contents[0], Doctype) and page.contents[0].lower() == "html"  # a whole page
    assert page.find("html") is not None


def test_a_burst_of_misses_makes_one_request_to_the_app(front, listed, make_statement, make_endorsement):
    burst = make_statement(slug="burst")
    make_endorsement(burst, status="approved")
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(lambda _: get(front, "/statements/burst/endorsements.pdf", timeout=30), range(10))
        )
    assert {status for status, _, _ in answers} == {200}
    log = (front.upstream.log_path).read_text()
    assert log.count("GET /statements/burst/endorsements.pdf") == 1


def logged_soon(server, text: str, seconds: float = 5) -> str:
    """The server's log once it holds `text` (nginx logs a request after answering it)."""
    deadline = time.monotonic() + seconds
    while text not in (log := server.log_tail(20000)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


def test_nginx_logs_mask_link_tokens(front, listed):
    get(front, "/confirm/secret-token-value.abc")
    get(front, "/manage/another-secret.def/withdraw")
    nginx_log = logged_soon(front, '"GET /manage/***/withdraw"')
    app_log = front.upstream.log_tail(20000)
    assert '"GET /confirm/***"' in nginx_log and '"GET /manage/***/withdraw"' in nginx_log
    assert "GET /confirm/*** " in app_log
    assert "secret-token-value" not in nginx_log + app_log and "another-secret" not in nginx_log + app_log


def test_make_serve_nginx_runs_the_whole_stack(database_url, redis_server, tmp_path):
    """The README's command line, from migrations to nginx, gunicorn and the mail worker, on
    a database of the suite's kind (PostgreSQL in CI's second pass) with a private Redis."""
    require_binary("nginx", "nginx", NGINX)
    port = free_port()
    with scratch_database(database_url, "serve", tmp_path) as url:
        env = serve_nginx_environment(port, url, redis_server.url, tmp_path)
        log_path = tmp_path / "serve-nginx.log"
        # Appending: nginx opens /dev/stdout afresh (its own offset, O_APPEND), and the others
        # writing at a shared offset without O_APPEND would write over its lines.
        with open(log_path, "ab") as log:
            make = subprocess.Popen(
                ["make", "--no-print-directory", "serve-nginx"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                health = wait_for_health(f"http://127.0.0.1:{port}", make, log_path)
                status, headers, _ = get_url(f"http://127.0.0.1:{port}/")
                wait_until(lambda: worker_started(log_path), timeout=30)
                wait_for_log_line(log_path, f"nginx {headers['X-Request-ID']} ")
            finally:
                os.killpg(make.pid, signal.SIGTERM)
                make.wait(timeout=60)
    assert health["database"]["ok"] and health["redis"] == {"ok": True}
    assert status == 200
    request_id = headers["X-Request-ID"]
    lines = log_path.read_text().splitlines()
    app_lines = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(line["request_id"] == request_id and line["path"] == "/" for line in app_lines)
    assert any(f"nginx {request_id} " in line for line in lines)
    wait_until(lambda: not process_group_alive(make.pid), timeout=30)  # nginx, gunicorn, the worker


def wait_for_log_line(log_path, text: str) -> None:
    """nginx writes its access line after the response has gone: wait for it, which a stop
    right after the response would otherwise race."""
    wait_until(
        lambda: text in log_path.read_text(),
        timeout=10,
        explain=lambda: f"no {text!r} in {log_path.read_text()[-3000:]}",
    )


def serve_nginx_environment(port: int, database_url: str, redis_url: str, tmp_path) -> dict[str, str]:
    """The environment of `make serve-nginx` as a deployment sets it, with nothing from the
    developer's shell that would change what runs."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(
        PORT=str(port),
        DATABASE_URL=database_url,
        RATELIMIT_STORAGE_URI=redis_url,
        NGINX_DIR=str(tmp_path / "nginx"),
        BACKUP_DIR=str(tmp_path / "backups"),
        SECRET_KEY="serve-nginx-test-secret",
        LOG_FORMAT="json",
    )
    return env


def worker_started(log_path) -> bool:
    """The mail worker said it runs (in its JSON log line)."""
    return any("outbox worker" in line and "started" in line for line in log_path.read_text().splitlines())


def process_group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_health(base_url: str, process: subprocess.Popen, log_path, seconds: float = 180) -> dict:
    """/healthz through nginx once everything is up; the log if it never comes up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"make serve-nginx exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            status, _, body = get_url(base_url + "/healthz", timeout=2)
        except OSError:
            status = None
        if status == 200:
            return json.loads(body)
        time.sleep(0.2)
    raise AssertionError(f"make serve-nginx did not come up:\n{log_path.read_text()[-5000:]}")
