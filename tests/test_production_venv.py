"""The production configuration runs from a venv built from requirements.txt alone.

The test venv hides missing runtime dependencies (pytest brings `packaging`, which kombu's
Redis transport imports): here a separate venv gets requirements.txt and nothing else, and
its `celery worker` and `celery beat` start against Redis, as docker-compose runs them, and
run beat's heartbeat task into the test database. The venv is kept per requirements.txt
digest under ~/.cache/vigil, so a machine builds it once.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from vigil.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vigil"


def production_venv() -> Path:
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:16]
    venv = CACHE / f"prod-venv-{digest}"
    if not (venv / ".complete").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        subprocess.run(
            [venv / "bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", ROOT / "requirements.txt"],
            check=True, timeout=900,
        )  # fmt: skip
        (venv / ".complete").touch()
    return venv


def database_url() -> str:
    """The test database, as DATABASE_URL names it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def own_redis_db(redis_url):
    """A Redis database of its own (14): the beat's messages left behind must not reach other tests' workers."""
    url = redis_url.rsplit("/", 1)[0] + "/14"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


def test_worker_and_beat_from_requirements_txt_alone_run_a_task_on_redis(own_redis_db, transactional_db, tmp_path):
    venv = production_venv()
    assert subprocess.run([venv / "bin/python", "-c", "import pytest"], capture_output=True).returncode != 0, (
        "the production venv must not have the test tools"
    )
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
        "DATABASE_URL": database_url(),
        "REDIS_URL": own_redis_db,
        "VIGIL_VAR_DIR": str(tmp_path / "var"),
    }
    celery = [str(venv / "bin/celery"), "-A", "vigil"]
    processes = [
        subprocess.Popen([*celery, "worker", "--queues", "default", "--concurrency", "1", "--hostname", "prod@%h"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True),
        subprocess.Popen([*celery, "beat", "--schedule", str(tmp_path / "beat")],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True),
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            for process in processes:
                assert process.poll() is None, process.communicate()[0].decode()[-4000:]
            time.sleep(0.5)
        assert WorkerHeartbeat.objects.exists(), "beat's heartbeat task never ran on the worker"
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
