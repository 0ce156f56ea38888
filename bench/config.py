"""What every part of the benchmark shares: paths, fixed values, the app's settings, logging, commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = ROOT / ".venv" / "bin"
DOC = ROOT / "docs" / "benchmarks.md"

SECRET_KEY = "jointly-bench-fixed-secret-key-not-for-production"
USER_AGENT = "jointly-bench"
MODERATOR_EMAIL = "bench-moderator@example.org"
MODERATOR_PASSWORD = "bench-moderator-password"
PG_ADMIN = ["-h", "127.0.0.1", "-U", "postgres"]
PG_DATABASE = "jointly_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"
PUBLIC_COUNT = 10_000
QUEUE_COUNT = 100_000
WORKERS = 2

# The app's settings under gunicorn and in its CLI: a fixed key, so runs are alike, and no rate
# limit or form timer, which would refuse the load itself.
SETTINGS = {"SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "false", "SIGNON_MIN_SECONDS": "0"}


def log(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_command(args: list[str], *, cwd: Path = ROOT, env: dict | None = None, stdin: str | None = None):
    """Run a short command; on failure raise with its output."""
    done = subprocess.run(
        args, cwd=cwd, env=env, input=stdin, text=True, capture_output=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def app_env(database_url: str) -> dict:
    """The environment the app's CLI runs with during the benchmark."""
    env = os.environ.copy()
    for name in ("BASE_URL", "WEB_CONCURRENCY", "FLASK_DEBUG"):
        env.pop(name, None)
    env.update(DATABASE_URL=database_url, **SETTINGS)
    return env
