"""Configuration from the environment: production settings pass check --deploy; bad values fail loudly."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="vigil.example.com", VIGIL_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = manage("check", DEBUG="0", VIGIL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "k" * 50)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = manage("shell", "-v0", "-c", code, DEBUG="0", SECRET_KEY_FILE=str(secret), VIGIL_VAR_DIR=str(tmp_path))
    assert result.stdout.strip() == "from-a-file-" + "k" * 50, result.stderr


def test_development_key_is_generated_once_and_kept(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = manage("shell", "-v0", "-c", code, DEBUG="1", VIGIL_VAR_DIR=str(tmp_path)).stdout
    second = manage("shell", "-v0", "-c", code, DEBUG="1", VIGIL_VAR_DIR=str(tmp_path)).stdout
    assert first == second and len(first.strip()) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_bad_value_fails_loudly(tmp_path):
    result = manage(
        "check", DEBUG="1", VIGIL_VAR_DIR=str(tmp_path), CONN_MAX_AGE="soon", DATABASE_URL="postgres://x@127.0.0.1/x"
    )
    assert result.returncode != 0
    assert "soon" in result.stderr


def test_without_redis_the_broker_is_embedded(tmp_path):
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL, settings.CACHES['default']['BACKEND'])"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT, env={**env, "DEBUG": "1", "VIGIL_VAR_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.split() == [
        f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        "django.core.cache.backends.filebased.FileBasedCache",
    ], result.stderr


# --------------------------------------------------------------------------- one declaration each

SOURCE_DIRS = ("vigil", "incidents", "monitoring", "reputation", "comms", "postmortems", "dr_plans")


def source_files():
    root = Path(__file__).resolve().parent.parent
    for folder in SOURCE_DIRS:
        for path in (root / folder).rglob("*.py"):
            if "migrations" not in path.parts and "settings" not in path.relative_to(root).parts[1:2]:
                yield path


def test_code_reads_vigils_settings_directly_and_each_is_declared():
    """settings.VIGIL_X, never getattr(settings, "VIGIL_X", default): a default restated in code drifts
    from the one vigil/settings declares. And every name code reads is declared there."""
    from django.conf import settings

    restated, undeclared = [], []
    for path in source_files():
        text = path.read_text()
        restated += [f"{path.name}: {m}" for m in re.findall(r"getattr\(settings, \"(VIGIL_\w+)\"", text)]
        for name in set(re.findall(r"\bsettings\.(VIGIL_[A-Z0-9_]+)\b", text)):
            if not hasattr(settings, name):
                undeclared.append(f"{path.name}: {name}")
    assert restated == []
    assert undeclared == []


def test_every_variable_the_settings_read_is_in_the_readme():
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    names = set()
    for path in (root / "vigil" / "settings").glob("*.py"):
        names |= set(re.findall(r'(?:env\.\w+|secret)\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    assert len(names) > 80
    # The configuration table may shorten a row's later names to their tail: `_SPIKE_MIN_MENTIONS`.
    tails = set(re.findall(r"`(_[A-Z0-9_]{6,})`", readme))
    missing = [n for n in names if n not in readme and not any(n.endswith(tail) for tail in tails)]
    assert sorted(missing) == []
