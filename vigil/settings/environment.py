"""The environment's basics: paths, DEBUG, secrets, the URLs Vigil answers on, Redis.

Every other settings module reads these; a bad value fails loudly at start-up
(django-environ raises ImproperlyConfigured).
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env file is honoured for development; the real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VIGIL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)


def secret(name: str, default: str | None = None) -> str | None:
    """Read NAME from the environment, or from the file named by NAME_FILE."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


def _development_secret_key() -> str:
    """Generate a key once and keep it under var/, so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()
# Rotating the key (issue #14): the old key goes here, comma-separated (or one a line in the _FILE),
# while the new one signs. Links and sessions it signed keep working until they are dropped from it.
SECRET_KEY_FALLBACKS = [
    key.strip() for key in (secret("SECRET_KEY_FALLBACKS", default="") or "").replace("\n", ",").split(",")
]
SECRET_KEY_FALLBACKS = [key for key in SECRET_KEY_FALLBACKS if key]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
VIGIL_BASE_URL = env.str("VIGIL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[VIGIL_BASE_URL])
# Redis, when set, is the cache, the broker and the buffers' store (see queues.py).
REDIS_URL = env.str("REDIS_URL", default="")
