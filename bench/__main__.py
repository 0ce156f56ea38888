"""The entry point (`make bench`, `.venv/bin/python -m bench`): build, serve, measure, report."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench import __doc__ as package_doc
from bench.config import DOC, ROOT, VENV_BIN, log
from bench.report import goal_rows, load_average, print_summary, render_report, write_doc
from bench.runs import run_all
from bench.scenarios import set_ratios
from bench.seed import organisation_key_function


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=package_doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per load run instead of 10 s")
    parser.add_argument("--duration", type=int, help="seconds per load run (overrides --quick)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--queue-connections",
        type=int,
        default=2,
        help="wrk connections for moderation_queue: moderators at once (default 2)",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="leave out sign-ons on PostgreSQL")
    parser.add_argument("--skip-nginx", action="store_true", help="leave out the runs through nginx")
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT, help="the app to measure (default: this checkout)"
    )
    parser.add_argument(
        "--output", type=Path, default=DOC, help="the Markdown report (default docs/benchmarks.md)"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each load run, wait up to this long for other processes to leave the CPU idle",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    options = parser.parse_args(argv)
    options.duration = options.duration or (3 if options.quick else 10)
    options.app_dir = options.app_dir.resolve()
    arguments = argv if argv is not None else sys.argv[1:]
    options.command = " ".join([".venv/bin/python -m bench", *arguments])
    return options


def check_tools() -> None:
    """Fail early when a tool is missing."""
    for tool in ("wrk", str(VENV_BIN / "gunicorn"), str(VENV_BIN / "flask"), "createdb", "dropdb"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is not installed")


def main(argv: list[str] | None = None) -> int:
    """Build, serve, measure, report; 1 when a part could not be measured."""
    options = parse_options(argv)
    options.load_at_start = load_average()
    check_tools()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so every finally: block runs
    workdir = Path(tempfile.mkdtemp(prefix="jointly-bench-"))
    key_of = organisation_key_function(options.app_dir)
    try:
        results, memory, problems = run_all(options, workdir, key_of)
    except Exception:
        log(f"failed; logs are kept in {workdir}")
        options.keep = True
        raise
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    set_ratios(results)
    goals = goal_rows(results, memory)
    print_summary(results, memory, goals, problems)
    write_doc(options.output, render_report(options, results, memory, goals, problems))
    log(f"wrote {options.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
