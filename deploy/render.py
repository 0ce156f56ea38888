"""Fill the @NAME@ placeholders of deploy/nginx.conf (and of the local wrapper).

    python -m deploy.render site LISTEN=127.0.0.1:8080 SERVER_NAME=_ ...   # print the site file
    python -m deploy.render local --run-dir DIR --port PORT --upstream unix:DIR/gunicorn.sock

`local` writes DIR/nginx.conf and DIR/jointly.conf for `make serve-nginx` (and the tests and
the benchmark) and prints the path of the first.
"""

import argparse
import getpass
import os
import re
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
# nginx's temporary folders, made under the run folder before it starts.
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cache")


class RenderError(ValueError):
    pass


def render(template: str, values: dict[str, str]) -> str:
    """The template with every placeholder filled; a placeholder left without a value is an error."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - values.keys())
    if missing:
        raise RenderError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match[1]], template)


def site_values(run_dir: Path, port: int, upstream: str) -> dict[str, str]:
    """The site file's values for a local run: everything under `run_dir`, logs on stdout/stderr."""
    return {
        "LISTEN": f"127.0.0.1:{port}",
        "SERVER_NAME": "_",
        "UPSTREAM": upstream,
        "STATIC_ROOT": str(ROOT / "static"),
        "CACHE_DIR": str(run_dir / "cache"),
        "ACCESS_LOG": "/dev/stdout",
        "ERROR_LOG": "stderr",
    }


def write_local(run_dir: Path, port: int, upstream: str, extra_http: str = "") -> Path:
    """Render both files into `run_dir`; returns the main configuration's path. nginx runs as
    the current user: as root its workers would otherwise drop to `nobody`, who cannot reach
    the private instance folder."""
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in TEMP_DIRS:
        (run_dir / name).mkdir(exist_ok=True, mode=0o700)
    site = render((DEPLOY / "nginx.conf").read_text(), site_values(run_dir, port, upstream))
    (run_dir / "jointly.conf").write_text(site)
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    wrapper = {"RUN_DIR": str(run_dir), "USER": user, "EXTRA": extra_http}
    main = run_dir / "nginx.conf"
    main.write_text(render((DEPLOY / "nginx-local.conf").read_text(), wrapper))
    return main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.render", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    site = commands.add_parser("site", help="print deploy/nginx.conf with NAME=VALUE filled in")
    site.add_argument("values", nargs="*", metavar="NAME=VALUE")
    local = commands.add_parser("local", help="write the configuration `make serve-nginx` runs")
    local.add_argument("--run-dir", type=Path, required=True)
    local.add_argument("--port", type=int, required=True)
    local.add_argument("--upstream", required=True)
    options = parser.parse_args(argv)
    try:
        if options.command == "site":
            values = dict(pair.split("=", 1) for pair in options.values)
            print(render((DEPLOY / "nginx.conf").read_text(), values), end="")
        else:
            print(write_local(options.run_dir.resolve(), options.port, options.upstream))
    except (RenderError, ValueError) as error:
        print(f"render: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
