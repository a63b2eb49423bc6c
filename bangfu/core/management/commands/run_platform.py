"""Run the whole platform in one terminal: web server, task worker(s) and scheduler, as child processes.

Ctrl-C or SIGTERM stops every child (SIGTERM, then SIGKILL after a grace period) and exits 0.
If any child dies on its own, the others are stopped and the command exits non-zero, so a
supervisor (systemd, docker, make) sees the failure instead of a half-running platform.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 10.0
POLL_SECONDS = 0.2


def _die_with_parent() -> None:
    """Linux: children get SIGTERM if run_platform itself is killed with SIGKILL (no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class Command(BaseCommand):
    help = "Start the web server, the task worker(s) and the scheduler; stop them all together."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port of the web server (%(default)s).")
        parser.add_argument("--workers", type=int, default=1, help="Number of task worker processes (%(default)s).")
        parser.add_argument("--no-scheduler", action="store_true", help="Do not start the periodic scheduler.")

    def children(self, addr: str, workers: int, scheduler: bool) -> list[Child]:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        found = [Child("web", [*manage, "runserver", addr, "--noreload"])]
        if getattr(settings, "TASK_BACKEND", "database") == "redis":
            queues = sorted(settings.RQ_QUEUES)
            worker = [*manage, "rqworker", *queues, "--job-class", "django_tasks_rq.Job", "--with-scheduler"]
        else:
            queues = sorted(settings.TASKS["default"].get("QUEUES", ["default"]))
            worker = [*manage, "db_worker", "--no-reload", "--queue-name", ",".join(queues), "--interval", "1"]
        found += [Child(f"worker-{i + 1}" if workers > 1 else "worker", worker) for i in range(workers)]
        if scheduler:
            found.append(Child("scheduler", [*manage, "run_scheduler"]))
        return found

    def handle(self, *args, addr="127.0.0.1:8000", workers=1, no_scheduler=False, **options):
        host, _, port = addr.rpartition(":")
        if not host or not port.isdigit() or workers < 1:
            raise CommandError("--addr must be host:port and --workers at least 1.")
        host = host.strip("[]")
        if _port_open(host, int(port)):
            raise CommandError(f"{addr} is already in use; is the platform running already?")

        stop_requested = []

        def request_stop(signum, frame):
            stop_requested.append(signum)

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        children = self.children(addr, workers, not no_scheduler)
        failed: Child | None = None
        try:
            for child in children:
                # Own process group: the terminal's Ctrl-C reaches only us, and we stop children in order.
                child.process = subprocess.Popen(  # noqa: S603
                    child.argv,
                    env=env,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509
                )
                self.stdout.write(f"started {child.name} (pid {child.process.pid}): {' '.join(child.argv[1:])}")
            announced = False
            while not stop_requested:
                failed = next((c for c in children if c.process.poll() is not None), None)
                if failed is not None:
                    break
                if not announced and _port_open(host, int(port)):
                    announced = True
                    self.stdout.write(self.style.SUCCESS(f"Bangfu is running at http://{addr}/  (Ctrl-C stops it)"))
                time.sleep(POLL_SECONDS)
        finally:
            self.stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            raise CommandError(
                f"{failed.name} exited with code {failed.process.returncode}; stopped the other processes."
            )
        self.stdout.write("All processes stopped.")

    def stop(self, children: list[Child]) -> None:
        running = [c for c in children if c.process is not None and c.process.poll() is None]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{child.name} did not stop within {GRACE_SECONDS:.0f}s; killing it.")
                child.process.kill()
                child.process.wait()
