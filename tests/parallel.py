"""Gives each pytest-xdist worker a Redis database and a files folder of its own, so the workers that
bin/test starts (one per core) share no broker, buffer, cache or file.

Loaded by bin/test with `-p tests.parallel`, before pytest-django sets Django up: the settings read
REDIS_URL and VIGIL_VAR_DIR when they are imported. Worker N takes a Redis database of its own
(redis_url_for: the URL's, then those above it, then those below it) and VIGIL_VAR_DIR/gwN;
pytest-django gives it its own test database (test_<name>_gwN). Without xdist, or with -n 0,
nothing changes.
"""

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis' default `databases`


def worker_index() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def redis_url_for(url: str, index: int) -> str:
    """URL with the database of worker INDEX: the URL's own, then the ones above it, then the ones below it
    (never wrapping round to 0, the database an install's Redis uses when it names none)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    above = REDIS_DATABASES - 1 - base
    database = base + index if index <= above else base - (index - above)
    if database < 0:
        raise RuntimeError(f"{index + 1} test processes need more than Redis' {REDIS_DATABASES} databases")
    return urlunsplit(parts._replace(path=f"/{database}"))


def _isolate() -> None:
    index = worker_index()
    if index is None:
        return
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url_for(os.environ["REDIS_URL"], index)
    if os.environ.get("VIGIL_VAR_DIR"):
        folder = os.path.join(os.environ["VIGIL_VAR_DIR"], f"gw{index}")
        os.makedirs(folder, exist_ok=True)
        os.environ["VIGIL_VAR_DIR"] = folder


_isolate()
