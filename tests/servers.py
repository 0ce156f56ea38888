"""Real server processes on 127.0.0.1: the app under gunicorn (for the tests and `make bench`),
a private Redis, and a small HTTP client with cookies."""

import contextlib
import http.client
import http.cookiejar
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import redis

from deploy.render import write_local
from tests.helpers import csrf_from
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on every user's PATH
# Inherited from a developer's shell they would change what is tested or measured.
UNSET = ("BASE_URL", "WEB_CONCURRENCY", "FLASK_DEBUG", "PORT")


@dataclass(frozen=True)
class WorkerMemory:
    """One worker's resident memory: its peak so far (VmHWM) and now (VmRSS)."""

    pid: int
    peak_mb: float
    rss_mb: float


class ChildServer:
    """What gunicorn and redis-server share here: started as a child, polled until ready, always stopped."""

    name = "server"

    def __init__(self, log_path: Path | None, start_timeout: float):
        self.port = free_port()
        self.log_path, self.start_timeout = log_path, start_timeout
        self.process: subprocess.Popen | None = None
        self._log = None

    def launch(self, log) -> subprocess.Popen:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self):
        """Start the server and return once it is ready; a server that fails to start is stopped."""
        self._log = open(self.log_path or os.devnull, "ab")  # closed in stop()
        self.process = self.launch(self._log)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready within {self.start_timeout} s:\n{self.log_tail()}")

    def terminate(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.terminate()
            self.process.wait(timeout=30)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, chars: int = 5000) -> str:
        if self._log is not None:
            self._log.flush()
        if self.log_path is None or not self.log_path.exists():
            return "(no log kept)"
        return self.log_path.read_text(errors="replace")[-chars:]


class Gunicorn(ChildServer):
    """The app under gunicorn on 127.0.0.1, in its own process group; `with Gunicorn(...) as server:`.

    `settings` are the app's environment variables (SECRET_KEY, OUTBOX_DELIVERY, ...) on top of
    this process's environment; DATABASE_URL and BASE_URL are set here. Without `control_socket`
    gunicorn runs with none: its default is one path per user, which parallel servers would share.
    """

    name = "gunicorn"

    def __init__(
        self,
        database_url: str,
        settings: dict | None = None,
        *,
        workers: int = 2,
        threads: int = 1,
        log_path: Path | None = None,
        app_dir: Path = ROOT,
        graceful_timeout: float = 2,
        control_socket: Path | None = None,
        start_timeout: float = 60,
    ):
        super().__init__(log_path, start_timeout)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url, self.settings = database_url, settings or {}
        self.workers, self.threads, self.app_dir = workers, threads, app_dir
        self.graceful_timeout, self.control_socket = graceful_timeout, control_socket

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def environment(self) -> dict:
        env = {name: value for name, value in os.environ.items() if name not in UNSET}
        env.update(DATABASE_URL=self.database_url, BASE_URL=self.base_url)
        env.update({name: str(value) for name, value in self.settings.items()})
        return env

    def command(self) -> list[str]:
        command = [str(GUNICORN), "-w", str(self.workers), "--threads", str(self.threads)]
        command += ["-b", f"127.0.0.1:{self.port}", "--graceful-timeout", str(self.graceful_timeout)]
        if self.control_socket:
            command += ["--control-socket", str(self.control_socket)]
        else:
            command.append("--no-control-socket")
        return [*command, "app:create_app()"]

    def launch(self, log) -> subprocess.Popen:
        if not GUNICORN.exists():
            raise RuntimeError(f"gunicorn not found at {GUNICORN}: install requirements.txt into the venv")
        return subprocess.Popen(
            self.command(),
            cwd=self.app_dir,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stop() signals the master and its workers as one group
        )

    def ready(self) -> bool:
        """/ping answers 200 and every worker is up."""
        try:
            with urllib.request.urlopen(self.url("/ping"), timeout=2) as response:
                answered = response.status == 200
        except (OSError, http.client.HTTPException):  # not listening yet, or a worker still booting
            return False
        return answered and len(self.worker_pids()) == self.workers

    def terminate(self) -> None:
        """SIGTERM the group (requests in flight finish within the graceful timeout), then SIGKILL."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=self.graceful_timeout + 10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        """The workers: the master's children."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            return sorted(int(child) for child in children.read_text().split())
        # Kernels without CONFIG_PROC_CHILDREN: look for processes whose parent is the master.
        return sorted(child for child in _all_pids() if _parent_pid(child) == pid)

    def kill_worker(self) -> int:
        """SIGKILL one worker, as the kernel's OOM killer would; returns its pid."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def memory(self) -> list[WorkerMemory]:
        """Each worker's peak and current resident memory."""
        found = []
        for pid in self.worker_pids():
            status = _proc_status(pid)
            found.append(WorkerMemory(pid, status.get("VmHWM", 0) / 1024, status.get("VmRSS", 0) / 1024))
        return found


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent_pid(pid: int) -> int | None:
    """The parent of a process, or None if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _proc_status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/PID/status (empty if the process is gone)."""
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0])
    return fields


class Nginx(ChildServer):
    """nginx on 127.0.0.1 with the project's own configuration (deploy/nginx.conf, rendered by
    deploy/render.py as `make serve-nginx` renders it) in front of a started `Gunicorn`.

    `extra_http` is added to nginx's http block (the benchmark's static file server). Its
    access and error log, and its cache, are under `run_dir`.
    """

    name = "nginx"

    def __init__(self, upstream: Gunicorn, run_dir: Path, extra_http: str = "", start_timeout: float = 20):
        super().__init__(run_dir / "nginx.log", start_timeout)
        self.upstream, self.run_dir = upstream, run_dir
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config = write_local(run_dir, self.port, f"127.0.0.1:{upstream.port}", extra_http)

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def launch(self, log) -> subprocess.Popen:
        command = [NGINX, "-p", str(self.run_dir), "-c", str(self.config), "-e", "stderr"]
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/ping"), timeout=2) as response:
                return response.status == 200
        except (OSError, http.client.HTTPException):
            return False

    def terminate(self) -> None:
        """SIGTERM: nginx's fast shutdown; its workers go with the master."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        """nginx's workers, and gunicorn's master and workers: everything serving a request."""
        own = sorted(child for child in _all_pids() if _parent_pid(child) == self.process.pid)
        return [*own, self.upstream.process.pid, *self.upstream.worker_pids()]

    def memory(self) -> list[WorkerMemory]:
        return self.upstream.memory()


class RedisServer(ChildServer):
    """A private redis-server on a free port that writes nothing to disk (SIGKILL loses nothing)."""

    name = "redis-server"

    def __init__(self, binary: str, workdir: Path, start_timeout: float = 10):
        super().__init__(workdir / "redis.log", start_timeout)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.binary, self.workdir = binary, workdir

    def launch(self, log) -> subprocess.Popen:
        no_disk = ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        command = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), *no_disk]
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def ready(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            return client.ping()
        except redis.exceptions.ConnectionError:
            return False
        finally:
            client.close()


class Browserless:
    """Just enough of a browser: cookies, CSRF tokens from pages, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=timeout) as response:
                try:
                    return response.status, response.read().decode()
                except http.client.IncompleteRead as cut:  # a page cut off is no page
                    raise ConnectionError(f"{path}: the answer was cut off") from cut
        except urllib.error.HTTPError as error:
            with error:
                try:
                    return error.code, error.read().decode()
                except http.client.IncompleteRead as cut:  # answered (a worker killed while writing the body)
                    return error.code, cut.partial.decode(errors="replace")

    def sign(self, slug: str, **fields) -> int:
        """GET the form page for its token, then POST it; returns the POST's status."""
        status, page = self.request(f"/statements/{slug}/sign")
        assert status == 200, status
        data = {
            "contact_name": "Load Tester",
            "authorised": "y",
            "csrf_token": csrf_from(page),
            **fields,
        }
        return self.request(f"/statements/{slug}/sign", data)[0]
