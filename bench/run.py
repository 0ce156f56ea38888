"""Load benchmark for Jointly: a big seeded database, gunicorn with 2 sync workers, wrk as the load.

Run from the repository root: `make bench`, or `.venv/bin/python bench/run.py [--quick]`.
It prints a table and rewrites docs/benchmarks.md; hand-written notes below the marker line
in that file are kept. Everything listens on 127.0.0.1, every load run is bounded in time,
and every server started here is stopped at the end, also on error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = ROOT / ".venv" / "bin"
DOC = ROOT / "docs" / "benchmarks.md"
NOTES_MARKER = "<!-- Notes below this line are kept when bench/run.py rewrites this file. -->"

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
FORM_ELEMENT = re.compile(r"<form\b.*?</form>", re.S | re.I)

STATEMENT_BODY = """\
We, the undersigned organisations, condemn the reprisals against workers' representatives
who spoke to researchers about conditions in the garment sector.

**We call on the authorities** to drop all charges, to guarantee the freedom of association
guaranteed by the Constitution, and to meet the unions and associations concerned.

1. Drop the charges.
2. Return the seized documents.
3. Guarantee that no one is punished for speaking to researchers.

យើងខ្ញុំ ជាអង្គការដែលបានចុះហត្ថលេខាខាងក្រោម សូមថ្កោលទោសចំពោះការសងសឹកទាំងនេះ។
"""

EN_PREFIXES = [
    "Cambodian", "Khmer", "Mekong", "Tonle Sap", "Cardamom", "Southeast Asian", "Grassroots",
    "Independent", "Democratic", "Solidarity", "Rural", "Urban", "Coastal", "Highland", "Northern",
]  # fmt: skip
EN_KINDS = [
    "Community Network", "Youth Association", "Women's Association", "Farmers' Association",
    "Fisheries Community", "Land Community", "Workers' Union", "Human Rights Centre",
    "Development Organisation", "Environmental Network", "Indigenous Peoples' Association",
    "Teachers' Association", "Legal Aid Project", "Media Centre", "Housing Rights Task Force",
]  # fmt: skip
PROVINCES = [
    "Phnom Penh", "Koh Kong", "Pailin", "Battambang", "Siem Reap", "Kampong Cham", "Kampot", "Takeo",
    "Ratanakiri", "Mondulkiri", "Prey Veng", "Svay Rieng", "Kratie", "Stung Treng", "Preah Vihear",
    "Kandal", "Pursat", "Kampong Speu", "Kampong Thom", "Banteay Meanchey", "Oddar Meanchey", "Kep",
    "Preah Sihanouk", "Tbong Khmum", "Kampong Chhnang",
]  # fmt: skip
ACRONYM_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
KM_KINDS = ["សមាគម", "បណ្តាញ", "សហគមន៍", "អង្គការ", "សម្ព័ន្ធ", "សហជីព"]
KM_TOPICS = [
    "ការពារសិទ្ធិមនុស្ស", "យុវជន", "ស្ត្រី", "កសិករ", "ដីធ្លី", "នេសាទ",
    "កម្មករ", "បរិស្ថាន", "អប់រំ", "សុខភាព", "ជនជាតិដើមភាគតិច", "ព្រៃឈើ",
]  # fmt: skip
KM_PROVINCES = ["ភ្នំពេញ", "កោះកុង", "ប៉ៃលិន", "បាត់ដំបង", "សៀមរាប", "កំពង់ចាម", "កំពត", "តាកែវ"]
CONTACTS = ["Sok Chea", "Chan Sophea", "Vann Dara", "Srey Mom", "Kim Sokha", "ចាន់ សុភា", "សុខ ជា", "Mary Tan"]
MESSAGES = [None, None, "We endorse this statement.", "យើងគាំទ្រសេចក្តីថ្លែងការណ៍នេះ។", "Please list our network."]


# ---------------------------------------------------------------- small helpers


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


def chunks(rows, size: int):
    """Yield lists of at most `size` rows."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(database_url: str) -> dict:
    """The environment the app and its CLI run with during the benchmark."""
    env = os.environ.copy()
    for name in ("BASE_URL", "WEB_CONCURRENCY", "FLASK_DEBUG"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        RATELIMIT_ENABLED="false",
        SIGNON_MIN_SECONDS="0",
    )
    return env


def flask_cli(app_dir: Path, env: dict, *args: str, stdin: str | None = None):
    """Run `flask --app app ARGS` in the app directory."""
    return run_command([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=app_dir, env=env, stdin=stdin)


# ---------------------------------------------------------------- HTTP client for the set-up steps


@dataclass
class Answer:
    """One HTTP answer, as the set-up steps need it."""

    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        """The first header of that name, case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """name -> value of every Set-Cookie."""
        found = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                found[name.strip()] = rest.split(";", 1)[0]
        return found

    def hidden_fields(self, action_suffix: str = "") -> dict[str, str]:
        """The hidden inputs of the first form whose action ends so (the CSRF token and any others)."""
        return hidden_fields(self.body, action_suffix)


class _FormReader(HTMLParser):
    """Collects (action, hidden inputs) for every form of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        """Note each form, and each hidden input of the current form."""
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and attrs.get("type") == "hidden" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


def hidden_fields(page: str, action_suffix: str = "") -> dict[str, str]:
    """The hidden inputs of the first form whose action ends with `action_suffix`."""
    reader = _FormReader()
    for form in FORM_ELEMENT.findall(page):  # parsing only the forms keeps a 600 KB page cheap
        reader.feed(form)
    for action, fields in reader.forms:
        if action.endswith(action_suffix) and "csrf_token" in fields:
            return fields
    raise RuntimeError(f"no form with a csrf_token and an action ending in {action_suffix!r}")


class RawBody(bytes):
    encoding: str | None = None


def fetch_raw(port: int, path: str, headers: dict) -> RawBody:
    """A GET's body as sent (not decoded), and its Content-Encoding."""
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        body = RawBody(response.read())
        body.encoding = response.getheader("Content-Encoding")
        return body
    finally:
        connection.close()


def fetch(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None) -> Answer:
    """One request to the server on 127.0.0.1, without following redirects."""
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, response.getheaders(), response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def cookie_header(cookies: dict[str, str]) -> str:
    """Cookies as a Cookie: header value."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


# ---------------------------------------------------------------- seeding


def organisation_key_function(app_dir: Path):
    """The app's own organisation_key(), so seeded keys are exactly what the app computes."""
    sys.path.insert(0, str(app_dir))
    from models.endorsement import organisation_key

    return organisation_key


def random_organisation(rng: random.Random) -> tuple[str, str | None, str | None]:
    """(name, acronym, location): about one in five in Khmer; acronyms of 4-5 capitals, rarely shared."""
    if rng.random() < 0.2:
        name = rng.choice(KM_KINDS) + rng.choice(KM_TOPICS)
        return name, None, rng.choice(KM_PROVINCES) if rng.random() < 0.6 else None
    name = f"{rng.choice(EN_PREFIXES)} {rng.choice(EN_KINDS)}"
    acronym = "".join(rng.choices(ACRONYM_LETTERS, k=rng.randint(4, 5))) if rng.random() < 0.35 else None
    return name, acronym, rng.choice(PROVINCES) if rng.random() < 0.5 else None


def unique_organisation(
    rng: random.Random, seen: set[str], key_of
) -> tuple[str, str | None, str | None, str]:
    """A random organisation whose key is not in `seen` (a number in front, like '197 Land Community')."""
    base, acronym, location = random_organisation(rng)
    name, key = base, key_of(base, location)
    while key in seen:
        name = f"{rng.randint(2, 999)} {base}"
        key = key_of(name, location)
    seen.add(key)
    return name, acronym, location, key


def endorsement_row(statement_id: int, **values) -> dict:
    """A full endorsements row with every column given (executemany needs the same keys)."""
    row = dict(
        statement_id=statement_id,
        organisation=None,
        organisation_key=None,
        acronym=None,
        location=None,
        website=None,
        contact_name=None,
        email=None,
        phone=None,
        message=None,
        authorised=True,
        status=None,
        position=None,
        source="web",
        submitted_at=None,
        confirmed_at=None,
        mails_sent=0,
        decided_at=None,
        decided_by_id=None,
        rejection_reason=None,
    )
    row.update(values)
    return row


def public_rows(statement_id: int, count: int, key_of):
    """`count` approved endorsements at positions 1..count, distinct organisation keys."""
    rng, seen = random.Random(1), set()
    at = datetime(2024, 6, 27, 9, 0)
    for position in range(1, count + 1):
        name, acronym, location, key = unique_organisation(rng, seen, key_of)
        yield endorsement_row(
            statement_id,
            organisation=name,
            organisation_key=key,
            acronym=acronym,
            location=location,
            status="approved",
            position=position,
            source="import",
            submitted_at=at,
            confirmed_at=at,
            decided_at=at,
        )


def queue_rows(statement_id: int, count: int, key_of):
    """`count` pending endorsements with contact fields, submitted_at increasing.

    Names are distinct except for about 1 in 100, which repeats an earlier sign-on (as people do).
    """
    rng, seen, earlier = random.Random(2), set(), []
    start = datetime(2024, 7, 1, 0, 0)
    for i in range(count):
        if earlier and rng.random() < 0.01:
            name, acronym, location, key = rng.choice(earlier)
        else:
            name, acronym, location, key = unique_organisation(rng, seen, key_of)
            earlier.append((name, acronym, location, key))
        at = start + timedelta(seconds=7 * i)
        yield endorsement_row(
            statement_id,
            organisation=name,
            organisation_key=key,
            acronym=acronym,
            location=location,
            website=f"https://org{i}.example.org/" if rng.random() < 0.4 else None,
            contact_name=rng.choice(CONTACTS),
            email=f"contact{i}@example.org",
            phone=f"+855 {rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
            message=rng.choice(MESSAGES),
            status="pending",
            submitted_at=at,
            confirmed_at=at,
            mails_sent=1,
        )


def insert_statement(connection, table: sa.Table, slug: str, title: str) -> int:
    """One open statement; returns its id."""
    now = datetime.now(UTC).replace(tzinfo=None)
    row = dict(
        slug=slug,
        kicker="Joint Statement",
        title=title,
        published_on=date(2024, 6, 27),
        body=STATEMENT_BODY,
        status="open",
        signon_deadline=None,
        list_version=1,
        created_at=now,
        updated_at=now,
    )
    result = connection.execute(table.insert().values(**fit(table, row)))
    return result.inserted_primary_key[0]


def fit(table: sa.Table, row: dict) -> dict:
    """Keep only the columns the migrated schema has (the models may be ahead of it)."""
    return {name: value for name, value in row.items() if name in table.c}


def bulk_insert(connection, table: sa.Table, rows) -> int:
    """Core executemany in batches; returns the number of rows."""
    total = 0
    for batch in chunks(rows, 5000):
        connection.execute(table.insert(), [fit(table, row) for row in batch])
        total += len(batch)
    return total


def seed(database_url: str, key_of, *, with_queue: bool) -> dict[str, int]:
    """Insert the 'bench' statement with its public list and, optionally, the 'queue' statement."""
    engine = sa.create_engine(database_url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine, only=["statements", "endorsements"])
        statements, endorsements = metadata.tables["statements"], metadata.tables["endorsements"]
        ids = {}
        with engine.begin() as connection:
            ids["bench"] = insert_statement(connection, statements, "bench", "Stop Reprisals (benchmark)")
            bulk_insert(connection, endorsements, public_rows(ids["bench"], PUBLIC_COUNT, key_of))
            if with_queue:
                ids["queue"] = insert_statement(connection, statements, "queue", "A Long Queue (benchmark)")
                bulk_insert(connection, endorsements, queue_rows(ids["queue"], QUEUE_COUNT, key_of))
        return ids
    finally:
        engine.dispose()


def prepare_database(app_dir: Path, database_url: str, key_of, *, with_queue: bool) -> dict[str, int]:
    """Migrate, seed, and create the moderator; returns the statement ids."""
    env = app_env(database_url)
    started = time.monotonic()
    flask_cli(app_dir, env, "db", "upgrade")
    ids = seed(database_url, key_of, with_queue=with_queue)
    flask_cli(
        app_dir, env, "moderators", "create", MODERATOR_EMAIL, "--password-stdin", stdin=MODERATOR_PASSWORD
    )
    log(f"database ready in {time.monotonic() - started:.1f} s: {database_url}")
    return ids


# ---------------------------------------------------------------- the server


class Server:
    """gunicorn with sync workers, in its own process group, bound to 127.0.0.1."""

    def __init__(self, app_dir: Path, database_url: str, log_path: Path):
        self.app_dir, self.database_url, self.log_path = app_dir, database_url, log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start gunicorn and wait until /ping answers and every worker is up."""
        env = app_env(self.database_url)
        env["BASE_URL"] = f"http://127.0.0.1:{self.port}"
        command = [
            str(VENV_BIN / "gunicorn"),
            *("-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "10"),
            "--no-control-socket",  # gunicorn 27 otherwise claims ~/.gunicorn/gunicorn.ctl
            "app:create_app()",
        ]
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=self.app_dir,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready()
        log(f"gunicorn pid {self.process.pid} on 127.0.0.1:{self.port}, workers {self.worker_pids()}")

    def wait_ready(self, seconds: float = 60) -> None:
        """Poll /ping until it answers 200 and all workers exist."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if fetch(self.port, "GET", "/ping").status == 200 and len(self.worker_pids()) == WORKERS:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /ping within {seconds} s:\n{self.log_tail()}")

    def settle(self, seconds: float = 180) -> None:
        """Wait until requests queued by the last load run are done: /ping answers fast twice running."""
        started = time.monotonic()
        fast = 0
        while fast < 2 and time.monotonic() - started < seconds:
            before = time.monotonic()
            fetch(self.port, "GET", "/ping")
            fast = fast + 1 if time.monotonic() - before < 0.1 else 0
            time.sleep(0.1)
        waited = time.monotonic() - started
        if waited > 1:
            log(f"waited {waited:.1f} s for the server to finish the requests queued by the last run")

    def log_tail(self, lines: int = 40) -> str:
        """The end of gunicorn's log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The workers: children of the gunicorn master."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            return sorted(int(p) for p in children.read_text().split())
        return sorted(p for p in _all_pids() if _parent_pid(p) == pid)

    def memory(self) -> list[dict]:
        """Each worker's peak (VmHWM) and current (VmRSS) resident memory in MB."""
        found = []
        for pid in self.worker_pids():
            status = _proc_status(pid)
            found.append(
                {
                    "pid": pid,
                    "peak_mb": status.get("VmHWM", 0) / 1024,
                    "rss_mb": status.get("VmRSS", 0) / 1024,
                }
            )
        return found

    def stop(self) -> None:
        """SIGTERM the whole process group (in-flight requests finish), SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        log(f"gunicorn pid {self.process.pid} stopped")


def _all_pids() -> list[int]:
    """Every process id in /proc."""
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent_pid(pid: int) -> int | None:
    """The parent of a process, or None if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _proc_status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/PID/status."""
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0])
    return fields


@contextlib.contextmanager
def serving(app_dir: Path, database_url: str, log_path: Path):
    """A started Server, always stopped afterwards."""
    server = Server(app_dir, database_url, log_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- wrk


@dataclass
class WrkRun:
    """What one wrk run reported through bench/report.lua."""

    seconds: float = 0.0
    requests: int = 0
    bytes: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    tables: dict[str, Counter] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    others_cpu: float = 0.0  # share of the machine's CPU used by unrelated processes meanwhile
    server_cpu: float = 0.0  # share used by gunicorn (master and workers) and PostgreSQL
    client_cpu: float = 0.0  # share used by wrk, the load generator, on the same machine

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def socket_errors(self) -> int:
        """Connect, read, write errors and timeouts."""
        return sum(self.errors.get(k, 0) for k in ("connect", "read", "write", "timeout"))


def parse_wrk(output: str) -> WrkRun:
    """Read the BENCH lines that report.lua prints."""
    run = WrkRun()
    for line in output.splitlines():
        if not line.startswith("BENCH\t"):
            continue
        _, key, *values = line.split("\t")
        if key == "summary":
            run.seconds, run.requests, run.bytes = int(values[0]) / 1e6, int(values[1]), int(values[2])
        elif key == "errors":
            run.errors = dict(
                zip(("connect", "read", "write", "status", "timeout"), map(int, values), strict=True)
            )
        elif key == "latency":
            run.p50_ms, run.p90_ms, run.p99_ms, run.max_ms = (int(v) / 1000 for v in values)
        elif key in ("statuses", "counts"):
            run.tables.setdefault(key, Counter())[values[0]] += int(values[1])
        else:
            run.lists.setdefault(key, []).append("\t".join(values))
    return run


def run_wrk(
    server: Server,
    path: str,
    options,
    *,
    script: str,
    headers=None,
    env=None,
    threads: int | None = None,
    connections: int | None = None,
) -> WrkRun:
    """One bounded wrk run against the server, once it has finished earlier work."""
    connections = connections or options.connections
    threads = min(threads or options.threads, connections)
    server.settle()
    wait_for_quiet(server, options.wait_quiet)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{options.duration}s"]
    command += ["--latency", "--timeout", "30s", "-s", script]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{server.port}{path}")
    before = cpu_snapshot(server)
    done = subprocess.run(
        command,
        cwd=BENCH_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=options.duration + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    run = parse_wrk(done.stdout)
    if not run.seconds:
        raise RuntimeError(f"wrk printed no BENCH summary:\n{done.stdout}\n{done.stderr}")
    after = cpu_snapshot(server)
    run.others_cpu = others_share(before, after)
    run.server_cpu = _share(before, after, after.server - before.server)
    run.client_cpu = _share(before, after, after.client - before.client)
    return run


@dataclass
class CpuSnapshot:
    """Machine-wide busy CPU seconds, and those of the benchmark's own processes."""

    at: float
    busy: float
    ours: float
    server: float  # gunicorn and PostgreSQL
    client: float  # finished children of this script: wrk


def cpu_snapshot(server: Server) -> CpuSnapshot:
    """Read /proc/stat and the CPU time of gunicorn, PostgreSQL, wrk and this script."""
    hz = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    serving = sum(_process_cpu(pid) for pid in [server.process.pid, *server.worker_pids(), *_postgres_pids()])
    script, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    client = children.ru_utime + children.ru_stime
    ours = serving + client + script.ru_utime + script.ru_stime
    busy = (user + nice + system + irq + softirq + steal) / hz
    return CpuSnapshot(time.monotonic(), busy, ours, serving, client)


def wait_for_quiet(server: Server, seconds: float) -> None:
    """Wait up to `seconds` for a second in which other processes use under 10% of the CPU."""
    deadline, share = time.monotonic() + seconds, 0.0
    while time.monotonic() < deadline:
        before = cpu_snapshot(server)
        time.sleep(1)
        share = others_share(before, cpu_snapshot(server))
        if share < 0.10:
            return
    if seconds:
        log(
            f"the machine did not get quiet within {seconds:.0f} s (others use {share:.0%}); measuring anyway"
        )


def others_share(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """The share of all CPUs that other processes used between two snapshots."""
    return _share(before, after, max(0.0, (after.busy - before.busy) - (after.ours - before.ours)))


def _share(before: CpuSnapshot, after: CpuSnapshot, cpu_seconds: float) -> float:
    """CPU seconds as a share of all the machine's CPUs between two snapshots."""
    elapsed = (after.at - before.at) * (os.cpu_count() or 1)
    return cpu_seconds / elapsed if elapsed else 0.0


def _process_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    """PostgreSQL's processes: the database is part of what is measured."""
    found = []
    for pid in _all_pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster"):
                found.append(pid)
    return found


# ---------------------------------------------------------------- the measurements


@dataclass
class Result:
    """One measured scenario."""

    key: str
    label: str
    run: WrkRun
    rate: float  # the figure compared with the baseline: requests/s, 304s/s or sign-ons/s
    rate_unit: str = "req/s"
    notes: list[str] = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    ratio: float | None = None


def status_note(run: WrkRun) -> str:
    """'200×1234, 500×2' from the counted statuses."""
    statuses = run.tables.get("statuses", Counter())
    return (
        ", ".join(f"{status}×{count}" for status, count in sorted(statuses.items())) or "statuses not counted"
    )


def unexpected(run: WrkRun, expected: set[str]) -> int:
    """Answers whose status was not one of `expected`."""
    return sum(
        count for status, count in run.tables.get("statuses", Counter()).items() if status not in expected
    )


def measure_plain(
    server: Server,
    options,
    key: str,
    label: str,
    path: str,
    *,
    headers=None,
    expected=("200",),
    connections: int | None = None,
):
    """A static GET under load; the /ping baseline runs without per-answer Lua."""
    count = not key.startswith("a")
    run = run_wrk(
        server,
        path,
        options,
        script="requests.lua",
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        env={"BENCH_COUNT_STATUS": "1" if count else "0"},
        connections=connections,
    )
    result = Result(key, label, run, run.rps)
    if count:
        result.notes.append(status_note(run))
        result.checks["unexpected"] = unexpected(run, set(expected))
    return result


def server_kind(server: Server) -> str:
    """'SQLite' or 'PostgreSQL'."""
    return "PostgreSQL" if server.database_url.startswith("postgresql") else "SQLite"


def measure_public_page(server: Server, options) -> tuple[Result, Answer]:
    """(b) GET /statements/bench, the page with 10,000 endorsers."""
    page = fetch(server.port, "GET", "/statements/bench")
    if page.status != 200:
        raise RuntimeError(f"/statements/bench answered {page.status}")
    # As every browser does; the app answers gzip from a page compressed once per version.
    gzipped = fetch_raw(server.port, "/statements/bench", {"Accept-Encoding": "gzip"})
    result = measure_plain(
        server,
        options,
        "b",
        "GET /statements/bench (10,000 endorsers, Accept-Encoding: gzip)",
        "/statements/bench",
        headers={"Accept-Encoding": "gzip"},
    )
    result.notes.append(
        f"page {len(page.body.encode()) / 1024:.0f} KiB, sent as {len(gzipped) / 1024:.0f} KiB "
        f"({gzipped.encoding or 'not compressed'})"
    )
    return result, page


def measure_conditional(server: Server, options, page: Answer) -> Result:
    """(c) the same GET with If-None-Match (the ETag of b) and the session cookie of b."""
    etag = page.header("ETag")
    headers = {"Cookie": cookie_header(page.cookies())} if page.cookies() else {}
    if etag:
        headers["If-None-Match"] = etag
    probe = fetch(server.port, "GET", "/statements/bench", headers=headers)
    result = measure_plain(
        server,
        options,
        "c",
        "conditional GET /statements/bench (If-None-Match)",
        "/statements/bench",
        headers=headers,
        expected=("304",) if etag else ("200",),
    )
    not_modified = result.run.tables.get("statuses", Counter()).get("304", 0)
    result.rate, result.rate_unit = not_modified / result.run.seconds, "304/s"
    result.checks.update(etag=etag, not_modified=not_modified, probe_status=probe.status)
    if etag:
        set_cookies = ", ".join(probe.cookies()) or "none"
        result.notes.append(
            f"ETag {etag[:24]}…; a single probe answered {probe.status} with Set-Cookie: {set_cookies}"
        )
    else:
        result.notes.append("the app sends NO ETag: measured the same GET with the session cookie only")
    return result


def login_cookie(server: Server) -> str:
    """Log the moderator in through /login; returns the Cookie header value."""
    form = fetch(server.port, "GET", "/login")
    cookies = form.cookies()
    body = urlencode({**form.hidden_fields(), "email": MODERATOR_EMAIL, "password": MODERATOR_PASSWORD})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(cookies)}
    answer = fetch(server.port, "POST", "/login", headers=headers, body=body)
    if answer.status not in (302, 303):
        raise RuntimeError(f"moderator login answered {answer.status}")
    cookies.update(answer.cookies())
    return cookie_header(cookies)


def measure_queue(server: Server, options) -> Result:
    """(e) GET /moderation/, the first page of 100,000 pending, as a logged-in moderator."""
    cookie = login_cookie(server)
    probe = fetch(server.port, "GET", "/moderation/", headers={"Cookie": cookie})
    if probe.status != 200:
        raise RuntimeError(f"/moderation/ with the moderator's cookie answered {probe.status}")
    # A coalition has a handful of moderators, not 32 at once: with one connection per worker
    # p99 is the page's own time; at --connections it would be mostly time spent queued.
    connections = options.queue_connections
    label = f"GET /moderation/ (first page, 100,000 pending; {connections} connections)"
    result = measure_plain(
        server, options, "e", label, "/moderation/", headers={"Cookie": cookie}, connections=connections
    )
    result.notes.append(f"page {len(probe.body.encode()) / 1024:.0f} KiB")
    return result


def measure_signons(server: Server, options, key: str) -> Result:
    """(d) complete sign-ons: GET the page, POST the form with its CSRF token, expect 303."""
    run = run_wrk(
        server,
        "/statements/bench",
        options,
        script="signon.lua",
        threads=options.connections,
        env={
            "BENCH_PAGE": "/statements/bench",
            "BENCH_SIGN": "/statements/bench/sign",
            "BENCH_USER_AGENT": USER_AGENT,
        },
    )
    counts = run.tables.get("counts", Counter())
    label = f"sign-ons (GET page + POST form) on {server_kind(server)}"
    result = Result(key, label, run, counts["ok"] / run.seconds, "sign-ons/s")
    result.checks.update(counts)
    result.notes.append(status_note(run))
    for failure in run.lists.get("failures", [])[:3]:
        result.notes.append(f"failure: {failure[:160]}")
    return result


def verify_signons(database_url: str, statement_id: int, result: Result) -> None:
    """Every 303 stored exactly once: compare the 303'd organisations with the web rows in the database."""
    answered = Counter(result.run.lists.get("ok_orgs", []))
    stored, suspected = stored_signons(database_url, statement_id)
    checks = result.checks
    checks["suspected"] = suspected
    checks["stored"] = sum(stored.values())
    checks["lost"] = sum(1 for name in answered if name not in stored)
    checks["duplicated"] = sum(1 for count in stored.values() if count > 1)
    checks["stored_unanswered"] = sum(1 for name in stored if name not in answered)
    in_flight = (
        checks.get("posts", 0) - checks.get("ok", 0) - checks.get("failed", 0) - checks["unanswered_posts"]
    )
    checks["in_flight_at_end"] = in_flight
    result.notes.append(
        f"303s {checks.get('ok', 0)}, non-303 POSTs {checks.get('failed', 0)}, pages without form "
        f"{checks.get('get_bad', 0)}; stored {checks['stored']}, lost {checks['lost']}, duplicated "
        f"{checks['duplicated']}, flagged as suspected {suspected}, "
        f"stored but unanswered {checks['stored_unanswered']} "
        f"(POSTs in flight when wrk stopped: {in_flight})"
    )


def stored_signons(database_url: str, statement_id: int) -> tuple[Counter, int]:
    """Web sign-ons per organisation name, and how many of them the app flagged as suspected spam."""
    engine = sa.create_engine(database_url)
    try:
        table = sa.Table("endorsements", sa.MetaData(), autoload_with=engine)
        web = sa.and_(table.c.statement_id == statement_id, table.c.source == "web")
        with engine.connect() as connection:
            per_name = connection.execute(
                sa.select(table.c.organisation, sa.func.count()).where(web).group_by(table.c.organisation)
            ).all()
            suspected = 0
            if "suspicion" in table.c:
                suspected = connection.scalar(
                    sa.select(sa.func.count()).where(web, table.c.suspicion.is_not(None))
                )
        return Counter(dict(per_name)), suspected
    finally:
        engine.dispose()


def signon_failures(result: Result) -> int:
    """Failed sign-ons: non-303 POSTs, pages without a usable form, socket errors, lost or doubled rows."""
    c = result.checks
    return (
        c.get("failed", 0)
        + c.get("get_bad", 0)
        + c.get("unanswered_posts", 0)
        + result.run.socket_errors
        + c.get("lost", 0)
        + c.get("duplicated", 0)
        + c.get("suspected", 0)
        + max(0, c.get("stored_unanswered", 0) - c.get("in_flight_at_end", 0) - c.get("unanswered_posts", 0))
    )


# ---------------------------------------------------------------- the two server runs


def run_sqlite(options, workdir: Path, key_of) -> tuple[list[Result], list[dict]]:
    """Everything on a fresh SQLite database: a, b, c, e, then d."""
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    log("building the SQLite database (10,000 approved + 100,000 pending)")
    ids = prepare_database(options.app_dir, database_url, key_of, with_queue=True)
    with serving(options.app_dir, database_url, workdir / "gunicorn-sqlite.log") as server:
        log("(a) baseline GET /ping")
        baseline = measure_plain(server, options, "a", "baseline GET /ping", "/ping")
        log("(b) public page")
        public, page = measure_public_page(server, options)
        log("(c) conditional GET")
        conditional = measure_conditional(server, options, page)
        log("(e) moderation queue")
        queue = measure_queue(server, options)
        log("(d) sign-ons on SQLite")
        signons = measure_signons(server, options, "d")
        log("(a2) baseline GET /ping again")
        baseline_again = measure_plain(server, options, "a2", "baseline GET /ping, again at the end", "/ping")
        server.settle()  # let POSTs still queued when wrk stopped finish before counting rows
        memory = [dict(m, server="SQLite") for m in server.memory()]
    verify_signons(database_url, ids["bench"], signons)
    return [baseline, public, conditional, signons, queue, baseline_again], memory


def run_postgres(options, workdir: Path, key_of) -> tuple[list[Result], list[dict]]:
    """Sign-ons (d) again on a fresh PostgreSQL database `jointly_bench`."""
    run_command(["dropdb", *PG_ADMIN, "--force", "--if-exists", PG_DATABASE])
    run_command(["createdb", *PG_ADMIN, PG_DATABASE])
    try:
        log("building the PostgreSQL database (10,000 approved)")
        ids = prepare_database(options.app_dir, PG_URL, key_of, with_queue=False)
        with serving(options.app_dir, PG_URL, workdir / "gunicorn-postgres.log") as server:
            log("(d) sign-ons on PostgreSQL")
            signons = measure_signons(server, options, "d-pg")
            server.settle()
            memory = [dict(m, server="PostgreSQL") for m in server.memory()]
        verify_signons(PG_URL, ids["bench"], signons)
        return [signons], memory
    finally:
        run_command(["dropdb", *PG_ADMIN, "--force", "--if-exists", PG_DATABASE])


# ---------------------------------------------------------------- goals and the report


def goals(results: dict[str, Result], memory: list[dict]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) for every goal; met is None when it was not measured."""
    rows = []
    b, c, d, e = (results.get(k) for k in ("b", "c", "d", "e"))
    if b:
        rows.append(
            (
                "Public page ≥ 0.5× baseline and p99 < 50 ms",
                f"{ratio_text(b.ratio)}, p99 {b.run.p99_ms:.0f} ms",
                b.ratio >= 0.5 and b.run.p99_ms < 50 and not b.checks.get("unexpected"),
            )
        )
    if c:
        rows.append(
            (
                "Conditional GET answered 304 at ≥ 0.8× baseline",
                f"{ratio_text(c.ratio)} ({c.checks['not_modified']} × 304"
                + ("" if c.checks.get("etag") else "; no ETag sent by the app")
                + ")",
                c.ratio >= 0.8 and not c.checks.get("unexpected"),
            )
        )
    if d:
        failures = signon_failures(d)
        rows.append(
            (
                "Sign-ons on SQLite ≥ 0.15× baseline, none failed or lost",
                f"{ratio_text(d.ratio)}, {failures} failed or lost",
                d.ratio >= 0.15 and failures == 0,
            )
        )
    if e:
        rows.append(
            (
                "Moderation queue first page p99 < 100 ms",
                f"p99 {e.run.p99_ms:.0f} ms",
                e.run.p99_ms < 100 and not e.checks.get("unexpected"),
            )
        )
    if memory:
        peak = max(m["peak_mb"] for m in memory)
        rows.append(("Every worker's peak RSS < 150 MB", f"max {peak:.0f} MB", peak < 150))
    return rows


def table_rows(results: list[Result]) -> list[list[str]]:
    """One row of figures per result."""
    rows = []
    for r in results:
        rows.append(
            [
                f"({r.key}) {r.label}",
                str(r.run.requests),
                f"{r.run.rps:.1f}",
                f"{r.rate:.1f} {r.rate_unit}" if r.rate_unit != "req/s" else "",
                ratio_text(r.ratio),
                f"{r.run.p50_ms:.1f}",
                f"{r.run.p99_ms:.1f}",
                str(r.run.errors.get("status", 0)),
                str(r.run.socket_errors),
                f"{r.run.server_cpu:.0%}",
                f"{r.run.client_cpu:.0%}",
                f"{r.run.others_cpu:.0%}",
            ]
        )
    return rows


HEADERS = [
    "scenario",
    "requests",
    "req/s",
    "counted rate",
    "× baseline",
    "p50 ms",
    "p99 ms",
    "non-2xx/3xx",
    "socket errors",
    "server CPU",
    "wrk CPU",
    "others' CPU",
]


def ratio_text(ratio: float | None) -> str:
    """'0.52×', or three decimals for small ratios."""
    if ratio is None:
        return ""
    return f"{ratio:.3f}×" if ratio < 0.1 else f"{ratio:.2f}×"


def text_table(rows: list[list[str]]) -> str:
    """A plain aligned table for the terminal."""
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in [HEADERS, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def machine(load_at_start: str) -> str:
    """nproc, the CPU model and the load before the benchmark started."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs (nproc), {model}; 1-minute load average {load_at_start} before the run"


def app_version(app_dir: Path) -> str:
    """The commit the app was measured at, and whether its tree had uncommitted changes."""
    head = subprocess.run(
        ["git", "-C", str(app_dir), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if head.returncode != 0:
        return f"{app_dir} (not a git checkout)"
    dirty = subprocess.run(
        ["git", "-C", str(app_dir), "status", "--porcelain"], capture_output=True, text=True
    )
    state = " with uncommitted changes" if dirty.stdout.strip() else ""
    return f"commit {head.stdout.strip()}{state} ({app_dir})"


def render_markdown(
    options, results: list[Result], memory: list[dict], goal_rows, command: str, problems
) -> str:
    """The generated part of docs/benchmarks.md."""
    baseline = best_baseline(results)
    details = [f"- **({r.key})** {r.label}: " + "; ".join(r.notes) for r in results if r.notes]
    memory_rows = [[m["server"], str(m["pid"]), f"{m['peak_mb']:.1f}", f"{m['rss_mb']:.1f}"] for m in memory]
    goal_table = [
        [goal, measured, {True: "met", False: "**not met**", None: "—"}[met]]
        for goal, measured, met in goal_rows
    ]
    return f"""# Load benchmark

Generated by `bench/run.py`; do not edit above the notes marker, re-run instead.

- **Date:** {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- **Machine:** {machine(options.load_at_start)}; wrk runs on the same machine as the server
- **App:** {app_version(options.app_dir)}
- **Command:** `{command}`
- **Server:** gunicorn, {WORKERS} sync workers, 127.0.0.1, `SECRET_KEY` fixed, `RATELIMIT_ENABLED=false`, \
`SIGNON_MIN_SECONDS=0`
- **Load:** wrk `-t{options.threads} -c{options.connections} -d{options.duration}s --latency --timeout 30s`; \
sign-ons with `-t{options.connections} -c{options.connections}` (one connection per thread, so each \
thread's GET/POST state machine sees its own answers); the moderation queue with \
`-c{options.queue_connections}` (moderators at once); (b) and the sign-ons' GETs send \
`Accept-Encoding: gzip` as browsers do (the sign-on script inflates it with zlib through LuaJIT's FFI)
- **Data:** statement `bench` with {PUBLIC_COUNT:,} approved endorsements (about one in five with a Khmer \
name); statement `queue` with {QUEUE_COUNT:,} pending endorsements with contact fields; one moderator. \
PostgreSQL gets only `bench` and its list.

## Results

Requests/s and latency are wrk's, over all requests (for sign-ons: GET and POST mixed). The
"× baseline" column divides the counted rate (304 answers/s, sign-ons/s, otherwise requests/s)
by the baseline: the faster `/ping` run of this benchmark (a at the start, a2 at the end).
"non-2xx/3xx" is wrk's count of answers ≥ 400.
Latencies count only requests answered before wrk stopped: when a page takes seconds under 32
connections, the requests still queued at the end are not in p99, which then understates the wait.
"server CPU" is the share of the machine's CPU (all cores: 100% is every core busy) that
gunicorn and PostgreSQL used during the run, "wrk CPU" the share the load generator used: it
runs on the same cores, so whatever it takes the server cannot have.
"others' CPU" is the share of the machine's CPU that processes other than gunicorn, PostgreSQL,
wrk and this script used during the run (e.g. a test suite or a browser): above ~10% the figures
are skewed low.{noise_warning(results)}

{markdown_table(HEADERS, table_rows(results))}

Baseline: {baseline.run.rps:.0f} requests/s, the faster of the two `/ping` runs (a, a2).

{chr(10).join(details)}
{"".join(f"{chr(10)}**Not measured:** {problem}{chr(10)}" for problem in problems)}
## Goals

{markdown_table(["goal", "measured", "result"], goal_table)}

## Worker memory at the end of each server run

{markdown_table(["server", "worker pid", "peak RSS (VmHWM) MB", "RSS now MB"], memory_rows)}

{NOTES_MARKER}
"""


def noise_warning(results: list[Result]) -> str:
    """A warning paragraph when other work competed for the CPU."""
    busy = [f"({r.key}) {r.run.others_cpu:.0%}" for r in results if r.run.others_cpu > 0.10]
    if not busy:
        return ""
    return (
        "\n\n**Warning:** other processes used a noticeable share of the CPU during "
        + ", ".join(busy)
        + "; re-run on a quiet machine before comparing figures."
    )


def write_doc(path: Path, generated: str) -> None:
    """Rewrite the generated part of the doc, keeping the notes below the marker."""
    notes = ""
    if path.exists():
        old = path.read_text()
        if NOTES_MARKER in old:
            notes = old.split(NOTES_MARKER, 1)[1].lstrip("\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generated + ("\n" + notes if notes else ""))


# ---------------------------------------------------------------- main


def parse_options(argv: list[str] | None = None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per load run instead of 10 s")
    parser.add_argument("--duration", type=int, help="seconds per load run (overrides --quick)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--queue-connections",
        type=int,
        default=2,
        help="wrk connections for the moderation queue, (e): moderators at once (default 2)",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="leave out sign-ons on PostgreSQL")
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
    return options


def check_tools() -> None:
    """Fail early when a tool is missing."""
    for tool in ("wrk", str(VENV_BIN / "gunicorn"), str(VENV_BIN / "flask"), "createdb", "dropdb"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is not installed")


def main(argv: list[str] | None = None) -> int:
    """Build, serve, measure, report."""
    options = parse_options(argv)
    options.load_at_start = load_average()
    check_tools()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so every finally: block runs
    workdir = Path(tempfile.mkdtemp(prefix="jointly-bench-"))
    key_of = organisation_key_function(options.app_dir)
    problems = []
    try:
        results, memory = run_sqlite(options, workdir, key_of)
        if not options.skip_postgres:
            try:
                pg_results, pg_memory = run_postgres(options, workdir, key_of)
                results += pg_results
                memory += pg_memory
            except Exception as error:  # the SQLite figures still stand; report what failed
                problems.append(f"The PostgreSQL run failed: {error_summary(error)}")
                log(f"{problems[-1]} (logs in {workdir})")
                options.keep = True
    except Exception:
        log(f"failed; logs are kept in {workdir}")
        options.keep = True
        raise
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    baseline = best_baseline(results)
    for result in results:
        result.ratio = result.rate / baseline.run.rps if baseline.run.rps else None
    goal_rows = goals({r.key: r for r in results}, memory)
    command = ".venv/bin/python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(text_table(table_rows(results)))
    for result in results:
        for note in result.notes:
            print(f"  ({result.key}) {note}")
    for m in memory:
        print(f"  worker {m['pid']} ({m['server']}): peak RSS {m['peak_mb']:.1f} MB")
    for goal, measured, met in goal_rows:
        print(f"  {'MET    ' if met else 'NOT MET'}  {goal}: {measured}")
    if noise_warning(results):
        print(noise_warning(results).strip().replace("**", ""))
    for problem in problems:
        print(problem)
    markdown = render_markdown(options, results, memory, goal_rows, command.strip(), problems)
    write_doc(options.output, markdown)
    log(f"wrote {options.output}")
    return 1 if problems else 0


def best_baseline(results: list[Result]) -> Result:
    """The faster of the two /ping runs: other work on the machine only ever slows one down."""
    return max((r for r in results if r.key.startswith("a")), key=lambda r: r.run.rps)


def error_summary(error: Exception) -> str:
    """The telling line of an error (for a failed command: its last line naming an Error)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "Error" in line]
    return (named or lines or [repr(error)])[-1][:400]


if __name__ == "__main__":
    sys.exit(main())
