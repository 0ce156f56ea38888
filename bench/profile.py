"""Where the time goes: time and profile single requests of the benchmark with the Flask test client.

    .venv/bin/pip install pyinstrument   # not a project dependency; only this script needs it
    .venv/bin/python -m bench.profile [--only public,signon,queue] [--repeat 5]

Builds the same SQLite database as `make bench` (10,000 approved, 100,000 pending) in a temp
directory, then for each request: the mean wall time over --repeat runs without a profiler, and
a pyinstrument profile of --repeat more runs.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.client import hidden_fields
from bench.config import MODERATOR_EMAIL, MODERATOR_PASSWORD, ROOT, USER_AGENT, app_env
from bench.seed import organisation_key_function, prepare_database

COUNTER = itertools.count()  # unique organisation names


def make_client(app_dir: Path, database_url: str):
    """The app, configured as under gunicorn in the benchmark, and a test client."""
    os.environ.update(app_env(database_url))
    os.chdir(app_dir)
    from app import create_app

    app = create_app()
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    return app, client


def hidden(response, action_suffix: str = "") -> dict[str, str]:
    """The hidden fields (CSRF token and others) of a form in a test-client response."""
    return hidden_fields(response.get_data(as_text=True), action_suffix)


def get_ping(client) -> None:
    """The baseline."""
    assert client.get("/ping").status_code == 200


def get_public(client) -> None:
    """public_page: the statement page, gzip as browsers ask for it."""
    assert client.get("/statements/bench", headers={"Accept-Encoding": "gzip"}).status_code == 200


def get_conditional(client) -> None:
    """conditional_get: the page again, with the ETag of an earlier answer (and the same session)."""
    answer = client.get("/statements/bench", headers={"If-None-Match": client.bench_etag})
    assert answer.status_code in (200, 304), answer.status_code


def signon(client) -> None:
    """signons: one complete sign-on, GET the page, POST the form."""
    client.delete_cookie("session")
    fields = hidden(client.get("/statements/bench"), "/sign")
    n = next(COUNTER)
    form = {
        **fields,
        "organisation": f"Profile Association {n}",
        "acronym": "PA",
        "location": "Phnom Penh",
        "website": "https://profile.example.org/",
        "contact_name": "Sok Chea",
        "email": f"profile-{n}@example.org",
        "phone": "+855 12 345 678",
        "message": "We endorse this statement.",
        "authorised": "y",
    }
    answer = client.post(
        "/statements/bench/sign", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 303, answer.status_code


def post_only(client) -> None:
    """The sign-on POST alone, reusing one page's hidden fields (a CSRF token lasts as its session does)."""
    n = next(COUNTER)
    form = {
        **client.bench_fields,
        "organisation": f"Profile Post Only {n}",
        "contact_name": "Sok Chea",
        "email": f"post-{n}@example.org",
        "authorised": "y",
    }
    answer = client.post(
        "/statements/bench/sign", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 303, answer.status_code


def login(client) -> None:
    """Log the benchmark's moderator in."""
    fields = hidden(client.get("/login"))
    form = {**fields, "email": MODERATOR_EMAIL, "password": MODERATOR_PASSWORD}
    assert client.post("/login", data=form).status_code in (302, 303)


def get_queue(client) -> None:
    """moderation_queue: its first page."""
    assert client.get("/moderation/").status_code == 200


def timed(call, client, repeat: int) -> float:
    """Mean milliseconds per call."""
    started = time.perf_counter()
    for _ in range(repeat):
        call(client)
    return (time.perf_counter() - started) * 1000 / repeat


def profile(name: str, call, client, repeat: int, show_all: bool = False) -> None:
    """Print the timing, and a pyinstrument profile of `repeat` more calls."""
    from pyinstrument import Profiler

    call(client)  # warm up: templates compiled, connections opened
    mean = timed(call, client, repeat)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeat):
        call(client)
    profiler.stop()
    print(f"\n===== {name}: {mean:.2f} ms per request (mean of {repeat}) =====", file=sys.stderr)
    print(
        profiler.output_text(unicode=True, color=False, short_mode=True, show_all=show_all), file=sys.stderr
    )


def main() -> int:
    """Build the database, then time and profile each request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default="ping,public,conditional,signon,post,queue",
        help="comma-separated: ping,public,conditional,signon,post,queue",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="show library frames in the profiles too")
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="jointly-profile-"))
    # The results go to stderr; stdout (where the app prints mail without MAIL_SERVER) is dropped.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        return run_profiles(options, workdir)


def run_profiles(options, workdir: Path) -> int:
    """Build the database, then time and profile each wanted request."""
    try:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        key_of = organisation_key_function(options.app_dir.resolve())
        prepare_database(options.app_dir.resolve(), database_url, key_of, with_queue=True)
        app, client = make_client(options.app_dir.resolve(), database_url)
        wanted = options.only.split(",")
        if "ping" in wanted:
            profile("baseline: GET /ping", get_ping, client, options.repeat, options.all)
        if "public" in wanted:
            profile("public_page: GET /statements/bench", get_public, client, options.repeat, options.all)
        if "conditional" in wanted:
            client.bench_etag = client.get("/statements/bench").headers.get("ETag") or '"none"'
            profile(
                "conditional_get: GET /statements/bench", get_conditional, client, options.repeat, options.all
            )
        if "signon" in wanted:
            profile("signons: GET page + POST form", signon, client, options.repeat, options.all)
        if "post" in wanted:
            client.bench_fields = hidden(client.get("/statements/bench"), "/sign")
            profile(
                "signons: the POST /statements/bench/sign alone",
                post_only,
                client,
                options.repeat,
                options.all,
            )
        if "queue" in wanted:
            login(client)
            profile("moderation_queue: GET /moderation/", get_queue, client, options.repeat, options.all)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
