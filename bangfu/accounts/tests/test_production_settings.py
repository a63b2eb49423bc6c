"""Production settings: `check --deploy` is clean, cookies are secure, and demo relaxations cannot be switched on."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # A clean environment: nothing from the test run (DJANGO_SETTINGS_MODULE, DJANGO_ALLOW_ASYNC_UNSAFE set by
    # browser tests, BANGFU_* of the developer's shell) may change what production settings say.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BANGFU_"))}
    environment = {
        **inherited,
        "BANGFU_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "bangfu.example",
        **env,
    }
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, str(MANAGE), *args], env=environment, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_enforces_the_gates_and_secure_cookies():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'demo': s.DEMO_MODE, 'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'httponly': s.SESSION_COOKIE_HTTPONLY, 'idle': s.IDLE_TIMEOUT_SECONDS, 'age': s.SESSION_COOKIE_AGE,"
        "'limit': s.AXES_FAILURE_LIMIT, 'cooloff': s.AXES_COOLOFF_TIME.total_seconds()}))"
    )
    result = run_manage("shell", "-c", code, BANGFU_DEMO="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "demo": False, "session_secure": True, "csrf_secure": True, "httponly": True,
        "idle": 1800, "age": 1800, "limit": 5, "cooloff": 1800.0,
    }
