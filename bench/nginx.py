"""Through nginx: the statement page against nginx serving the very same bytes as a static file.

The static copy is the physical limit of this machine for a page that size: a page a shared
cache serves cannot be faster, and one every reader costs a Python request is far slower. The
same nginx (deploy/nginx.conf, as `make serve-nginx` runs it) serves both: the app's site on
its port, and a second server block on another port with the page's bytes (plain, and the
app's own gzip bytes through gzip_static) saved as files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bench.client import fetch_raw
from bench.config import PUBLIC_COUNT, log
from bench.scenarios import Goal, Result, Target, measure_plain, ratio_text
from tests.servers import Gunicorn, Nginx
from tests.smtp import free_port

PAGE = "/statements/bench"
STATIC_PAGE = "/page.html"
ENCODINGS = {"plain": {}, "gzip": {"Accept-Encoding": "gzip"}}
GOAL_RATIO, GOAL_P99_MS = 0.8, 20


def static_server(root: Path, port: int) -> str:
    """nginx's second server block: the page's bytes as files, nothing computed per request."""
    return f"""
    server {{
        listen 127.0.0.1:{port};
        root {root};
        access_log off;
        gzip_static on;
        location / {{ }}
    }}"""


@contextlib.contextmanager
def nginx_front(app_server: Gunicorn, workdir: Path) -> Iterator[tuple[Nginx, int, Path]]:
    """nginx with the project's configuration in front of gunicorn, plus the static copy's server."""
    root, port = workdir / "static-copy", free_port()
    root.mkdir(exist_ok=True)
    with Nginx(app_server, workdir / "nginx", extra_http=static_server(root, port)) as front:
        log(f"nginx pid {front.process.pid} on 127.0.0.1:{front.port}, static copy on 127.0.0.1:{port}")
        yield front, port, root


def save_static_copy(target: Target) -> None:
    """The page as nginx hands it out now, once plain and once gzip, saved as the static copy."""
    root = target.shared["static_root"]
    plain = fetch_raw(target.server.port, PAGE, {})
    zipped = fetch_raw(target.server.port, PAGE, ENCODINGS["gzip"])
    if plain.encoding or zipped.encoding != "gzip":
        raise RuntimeError(f"{PAGE} came {plain.encoding or 'plain'} and {zipped.encoding or 'plain'}")
    (root / STATIC_PAGE.lstrip("/")).write_bytes(plain)
    (root / (STATIC_PAGE.lstrip("/") + ".gz")).write_bytes(zipped)
    target.shared["sizes"] = (len(plain), len(zipped))


def static_copy(encoding: str):
    def measure(target: Target) -> Result:
        if "sizes" not in target.shared:
            save_static_copy(target)
        label = f"nginx: the same page as a static file ({encoding})"
        result = measure_plain(
            target, label, STATIC_PAGE, headers=ENCODINGS[encoding], port=target.shared["static_port"]
        )
        target.shared[f"static_{encoding}"] = result
        plain, zipped = target.shared["sizes"]
        result.notes.append(f"{plain / 1024:.0f} KiB plain, {zipped / 1024:.0f} KiB gzip")
        return result

    return measure


def page_through_nginx(encoding: str):
    def measure(target: Target) -> Result:
        label = f"nginx: GET {PAGE} ({PUBLIC_COUNT:,} endorsers, {encoding}) through the shared cache"
        result = measure_plain(target, label, PAGE, headers=ENCODINGS[encoding])
        static = target.shared[f"static_{encoding}"]
        result.checks["vs_static"] = result.rate / static.rate if static.rate else 0.0
        result.notes.append(
            f"{ratio_text(result.checks['vs_static'])} of the static copy ({static.rate:.0f} req/s, "
            f"p99 {static.run.p99_ms:.1f} ms)"
        )
        return result

    return measure


def page_through_nginx_goal(result: Result) -> Goal:
    ratio = result.checks["vs_static"]
    return (
        f"{result.label}: ≥ {GOAL_RATIO}× nginx serving the same bytes, p99 < {GOAL_P99_MS} ms",
        f"{ratio_text(ratio)}, p99 {result.run.p99_ms:.1f} ms",
        ratio >= GOAL_RATIO and result.run.p99_ms < GOAL_P99_MS and not result.checks.get("unexpected"),
    )
