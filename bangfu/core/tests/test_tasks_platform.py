"""`manage.py run_platform` (what `make run` starts) as a real process tree on a scratch SQLite database:
web server, task worker and scheduler come up together, do their work and go down together."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"
MANAGE = str(settings.BASE_DIR / "manage.py")
STARTUP_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class Platform:
    """A run_platform process whose output is collected by a reader thread."""

    def __init__(self, env, port):
        self.port = port
        self.db = env["DATABASE_URL"].removeprefix("sqlite:///")
        self.lines: list[str] = []
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, MANAGE, "run_platform", "--addr", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition, what: str, timeout: float = STARTUP_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"gave up waiting for {what}; output:\n{self.output[-4000:]}")

    def pids(self) -> dict[str, int]:
        return {name: int(pid) for name, pid in re.findall(r"started (\S+) \(pid (\d+)\)", self.output)}

    def heartbeats(self) -> set[str]:
        con = sqlite3.connect(self.db, timeout=10)
        try:
            return {row[0] for row in con.execute("SELECT component FROM core_heartbeat")}
        except sqlite3.OperationalError:
            return set()
        finally:
            con.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.pids().values():
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def _platform_env(var) -> dict:
    env = {
        **os.environ,
        "BANGFU_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/platform.sqlite3",
        "TASK_BACKEND": "database",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.fixture(scope="module")
def migrated_var(tmp_path_factory):
    """A scratch var/ (SQLite database and dev keys) after `manage.py migrate`, made once per module: a
    migrate takes 20–40 s, and every test here starts from the same freshly migrated state anyway."""
    var = tmp_path_factory.mktemp("platform-template") / "var"
    env = _platform_env(var)
    subprocess.run([sys.executable, MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    return var


@pytest.fixture
def scratch_env(tmp_path, migrated_var):
    """Each test's own copy of the migrated var/, so what one platform writes no other test sees."""
    var = tmp_path / "var"
    shutil.copytree(migrated_var, var)
    return _platform_env(var)


@pytest.fixture
def redis_env(scratch_env):
    import redis

    # The configured server, but a database of its own: the platform's "default" queue lives there.
    url = urllib.parse.urlsplit(settings.REDIS_URL)._replace(path="/14").geturl()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true but {url} is not reachable: {error}")
        pytest.skip(f"Redis is not reachable at {url} ({error})")
    yield {**scratch_env, "TASK_BACKEND": "redis", "REDIS_URL": url}
    client = redis.Redis.from_url(url)
    for key in client.scan_iter("rq:*"):
        client.delete(key)


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_platform_starts_works_and_stops_cleanly(backend, request):
    env = request.getfixturevalue("redis_env" if backend == "redis" else "scratch_env")
    platform = Platform(env, free_port())
    try:
        platform.wait_for(lambda: "Bangfu is running at" in platform.output, "the platform to come up")
        assert f"http://127.0.0.1:{platform.port}/" in platform.output
        assert set(platform.pids()) == {"web", "worker", "scheduler"}
        expected_worker = "rqworker" if backend == "redis" else "db_worker"
        assert re.search(rf"started worker \(pid \d+\): \S+ {expected_worker}", platform.output)
        with urllib.request.urlopen(f"http://127.0.0.1:{platform.port}/accounts/login/", timeout=30) as response:  # noqa: S310
            assert response.status == 200
        # The scheduler enqueues a heartbeat at start; the worker runs it.
        platform.wait_for(lambda: platform.heartbeats() == {"scheduler", "worker"}, "scheduler and worker heartbeats")

        platform.process.send_signal(signal.SIGTERM)
        assert platform.process.wait(timeout=60) == 0, platform.output
        assert "All processes stopped." in platform.output
        assert all(gone(pid) for pid in platform.pids().values())
    finally:
        platform.stop()


def test_one_child_dying_stops_the_others_and_fails(scratch_env):
    platform = Platform(scratch_env, free_port())
    try:
        platform.wait_for(lambda: "Bangfu is running at" in platform.output, "the platform to come up")
        pids = platform.pids()
        os.kill(pids["worker"], signal.SIGKILL)
        assert platform.process.wait(timeout=60) != 0
        assert "worker exited with code -9" in platform.output
        assert all(gone(pid) for pid in pids.values())
    finally:
        platform.stop()


def test_refuses_a_port_in_use(scratch_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(  # noqa: S603
            [sys.executable, MANAGE, "run_platform", "--addr", f"127.0.0.1:{port}"],
            env=scratch_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert "already in use" in result.stderr
    assert "started" not in result.stdout
