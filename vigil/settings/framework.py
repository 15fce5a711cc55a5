"""Django's own settings: apps, middleware, templates, the database, the cache, sign-in, the REST API,
static files, logging and production hardening."""

from urllib.parse import urlsplit

from vigil.settings.environment import BASE_DIR, DEBUG, REDIS_URL, VAR_DIR, VIGIL_BASE_URL, env

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_celery_beat",
    "axes",
    # Sign-in and the public edge (issue #14): TOTP two-factor with backup codes, and the CSP header.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "djangosaml2",  # SAML 2.0 single sign-on (accounts.saml)
    # Vigil. The order is the order of dependencies: each app may use those above it.
    "vigil",
    "incidents",
    "monitoring",
    "reputation",
    "chat",  # Slack and Teams: uses incidents; comms sends Slack DMs through it
    "comms",
    "postmortems",
    "dr_plans",
    "importers",  # a leaf: may use every app above, none uses it
    "config_code",  # configuration as code (issue #22): a leaf like importers
    "accounts",  # company sign-in: a leaf that uses vigil and incidents (teams)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (vigil.csp): before the status page's middleware, so its early answers get it too.
    "vigil.csp.CSPMiddleware",
    # The public status page's snapshot documents, answered before the rest of the stack.
    "comms.status.middleware.StatusSnapshotMiddleware",
    # Heartbeat pings, answered before the rest of the stack too (the token is the credential).
    "monitoring.ping_middleware.PingMiddleware",
    # Alert webhooks likewise (the token in the URL is the credential).
    "incidents.integrations.middleware.AlertHookMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # djangosaml2's own session cookie (SameSite=None) for the SAML exchange: the IdP posts back cross-site.
    "djangosaml2.middleware.SamlSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor (vigil.twofactor): which device verified this session; a session that owes a code is anonymous.
    "django_otp.middleware.OTPMiddleware",
    "vigil.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vigil.middleware.TimezoneMiddleware",
    "vigil.audit.AuditContextMiddleware",
    # Axes last: it reads the outcome of authentication (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vigil.urls"
WSGI_APPLICATION = "vigil.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vigil.context_processors.vigil",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vigil.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout
    # turns "database is locked" into a short wait.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, not shared-cache memory: threads (a live server, a Celery
    # worker) then wait on SQLite's busy timeout instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-vigil.sqlite3")}
else:
    # Opening a PostgreSQL connection costs ~9 ms here (DESIGN.md): keep them.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A dropped connection is noticed before a request uses it, at one "SELECT 1" a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The file cache is shared by every process of one machine (locmem is not).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused to all but the break-glass users when VIGIL_LOCAL_PASSWORDS=break-glass.
    "accounts.backends.LocalPasswordBackend",
    # OpenID Connect (accounts.oidc): answers only the /oidc/callback/ view.
    "accounts.oidc.OIDCBackend",
    "accounts.saml.SamlBackend",  # SAML 2.0 single sign-on: only answers djangosaml2's assertion consumer
    # Team permissions (vigil.ownership): what a responder manages for their own teams' objects only.
    "vigil.ownership.TeamPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# The name authenticator apps show beside the account (two-factor sign-in: vigil.twofactor).
OTP_TOTP_ISSUER = f"Vigil {urlsplit(VIGIL_BASE_URL).hostname or ''}".strip()

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Teams' service keys (vgs_..., accounts.authentication), then personal keys (vgl_...).
        "accounts.authentication.ServiceKeyAuthentication",
        "vigil.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["vigil.api.permissions.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "vigil.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # Rate limits (issue #14; vigil.api.throttling): per client address without credentials, per API key
    # (per user for a session) with them. Their rates are the two settings below, read on each request.
    "DEFAULT_THROTTLE_CLASSES": ["vigil.api.throttling.AnonThrottle", "vigil.api.throttling.KeyThrottle"],
}
DRF_STANDARDIZED_ERRORS = {"ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "415", "429"]}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "DESCRIPTION": (
        "Incident management: incidents, monitors, communications, post-mortems and DR plans. "
        "Authenticate with `Authorization: Bearer <API key>` (create keys under *API keys* in the dashboard)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: the docs page loads nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Vigil's own choice sets, named once so each reads the same everywhere in the schema.
        "IncidentStatusEnum": "incidents.models.Status",
        "PublicStatusEnum": "incidents.models.PublicStatus",
        "ComponentStatusEnum": "incidents.models.ComponentStatus",
        "SeverityEnum": "incidents.models.Severity",
        "PageStatusEnum": "incidents.models.Page.Status",
        "IncidentEventKindEnum": "incidents.models.IncidentEvent.Kind",
        "MonitorKindEnum": "monitoring.models.Monitor.Kind",
        "IntegrationKindEnum": "incidents.models.Integration.Kind",
        "AlertStatusEnum": "incidents.models.Alert.Status",
        "MonitorStateEnum": "monitoring.models.Monitor.State",
        "HttpMethodEnum": "monitoring.models.Monitor.Method",
        "DnsRecordTypeEnum": "monitoring.models.Monitor.RecordType",
        "MediumEnum": "comms.models.Medium",
        "NotificationStateEnum": "comms.models.State",
        "EndpointKindEnum": "comms.models.Endpoint.Kind",
        "MentionStateEnum": "reputation.models.MentionState",
        "MentionSourceKindEnum": "reputation.models.MentionSource.Kind",
        "SentimentEnum": "reputation.models.Sentiment",
        "MentionPollStatusEnum": "reputation.models.MentionSource.PollStatus",
        "MentionSpikeReasonEnum": "reputation.models.MentionSpike.Reason",
        "StakeholderKindEnum": "comms.models.Stakeholder.Kind",
        "PostMortemStatusEnum": "postmortems.models.PostMortem.Status",
        "DRPlanStatusEnum": "dr_plans.models.DRPlan.Status",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
    ],
}

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
# Stored times are always UTC; TIME_ZONE is only the default for showing them.
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email (Django's mail backend: comms' SMTP channel, sign-in mails) ------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="vigil@localhost")
EMAIL_URL = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_URL["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_URL.get("EMAIL_HOST", "")
EMAIL_PORT = EMAIL_URL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_URL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_URL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_URL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_URL.get("EMAIL_USE_SSL", False)

# --- Logging ----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Paths in log lines ("Not Found: /incidents/ack/<token>/") lose their secrets (vigil.gunicorn_logging).
    "filters": {"mask_tokens": {"()": "vigil.gunicorn_logging.MaskTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_tokens"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # twilio's client logs every request's headers at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "twilio.http_client": {"level": "WARNING"},
        # pysaml2's schema library says at INFO, many times a second, that a schema is already loaded.
        "xmlschema": {"level": "WARNING"},
        # Django's own handlers (a second console under DEBUG, mail to ADMINS) are dropped: its lines go
        # through the masked console above, once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A line per task received and done, and per task beat sends: several a second. bin/run turns them
        # off (VIGIL_LOG_EACH_TASK=0) so its terminal shows what matters; warnings and errors remain.
        **{
            name: {"level": "INFO" if env.bool("VIGIL_LOG_EACH_TASK", default=True) else "WARNING"}
            for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat")
        },
    },
}

# --- Production hardening (manage.py check --deploy passes with DEBUG off) ----------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the dashboard's small JS reads it for fetch()
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS (a TLS-terminating proxy in front). Off only for a plain-HTTP run on one machine
# (bin/run on 127.0.0.1): no redirect to HTTPS, cookies without Secure, no HSTS.
VIGIL_HTTPS = env.bool("VIGIL_HTTPS", default=True)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=VIGIL_HTTPS)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = VIGIL_HTTPS
    CSRF_COOKIE_SECURE = VIGIL_HTTPS
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000) if VIGIL_HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
