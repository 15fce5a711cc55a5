"""A small OpenID provider for the tests (django-oauth-toolkit with OIDC), run as its own process on
loopback by tests/accounts/test_oidc.py. Its state lives in PROVIDER_DIR (set by the test): the
SQLite database, the RSA key, and claims.json (each user's email, email_verified and groups, which
the test rewrites between sign-ins)."""

import os
from pathlib import Path

DIR = Path(os.environ["PROVIDER_DIR"])
SECRET_KEY = "test-provider-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.accounts.oidc_provider.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DIR / "provider.sqlite3")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": (DIR / "key.pem").read_text(),
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "tests.accounts.oidc_provider.validator.Validator",
    "SCOPES": {"openid": "OpenID Connect", "email": "Email", "profile": "Profile", "groups": "Groups"},
}
