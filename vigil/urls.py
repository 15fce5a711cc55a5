from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from . import metrics, views
from .api.routers import Router
from .api.schema import SchemaView
from .api.views import ApiKeyViewSet, MeView
from .twofactor import views as twofactor_views

router = Router()
router.register("api-keys", ApiKeyViewSet, basename="apikey")

# Each app keeps its own API routes (APP/api/urls.py); they are included by name
# so this package imports no app.
api_v1 = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
    path("", include("incidents.api.urls")),
    path("", include("incidents.integrations.api.urls")),
    path("", include("incidents.oncall.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("reputation.api.urls")),
    path("", include("comms.api.urls")),
    path("", include("postmortems.api.urls")),
    path("", include("dr_plans.api.urls")),
    path("", include("accounts.api.urls")),  # teams' service keys
    path("", include("config_code.api.urls")),
]

# Opsgenie's Alert API v2 (incidents/integrations/opsgenie_urls.py), mounted twice below.
OPSGENIE_API = ("incidents.integrations.opsgenie_urls", "opsgenie")

urlpatterns = [
    # Heartbeat pings come first: the busiest route, and it needs no session or login.
    path("ping/", include("monitoring.ping_urls")),
    # The public status page and Statuspage's API v2 (served from the page's snapshot) next: every
    # customer loads them at once during an outage, and each pattern tried before costs them time.
    path("status/", include("comms.status_urls")),
    path("api/v2/", include("comms.status.api_urls")),
    path("", include("incidents.home_urls")),
    path("healthz", views.healthz, name="healthz"),
    # Web Push (comms.push): the service worker must sit at the root for its scope to be the whole site.
    path("", include("comms.push.root_urls")),
    path("metrics", metrics.metrics_view, name="metrics"),
    # Signing in: the password, then a code from the user's device (vigil.twofactor).
    path("login/", twofactor_views.LoginView.as_view(), name="login"),
    path("account/two-factor/", include("vigil.twofactor.urls")),
    # Logging out, and company sign-in (accounts/urls.py): OpenID Connect under oidc/.
    path("", include("accounts.urls")),
    # SAML 2.0 single sign-on (accounts.saml): login, the assertion consumer, the SP's metadata.
    path("saml2/", include("accounts.saml_urls")),
    path("system/", views.system, name="system"),
    path("system/audit/", views.audit_log, name="audit_log"),
    path("account/api-keys/", views.api_keys, name="api_keys"),
    path("account/api-keys/<int:pk>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("incidents/", include("incidents.urls")),
    # Slack's request URLs (chat/slack/manifest.yml) and the account-link page (issue #18).
    path("chat/", include("chat.urls")),
    # Opsgenie's Alert API v2 (issue #17): at the root, so a sender changes only the host, and under integrations/.
    path("", include(OPSGENIE_API, namespace="opsgenie")),
    path("integrations/opsgenie/", include(OPSGENIE_API, namespace="opsgenie_")),
    # PagerDuty's Events API v2 (issue #17): /v2/enqueue and /v2/change/enqueue at the root, so a sender
    # changes only the host, and under integrations/pagerduty/ (incidents/integrations/pagerduty_urls.py).
    path("", include(("incidents.integrations.pagerduty_urls", "pagerduty"), namespace="pagerduty")),
    path(
        "integrations/pagerduty/",
        include(("incidents.integrations.pagerduty_urls", "pagerduty"), namespace="integrations_pagerduty"),
    ),
    path("integrations/", include("incidents.integrations.urls")),
    path("oncall/", include("incidents.oncall.urls")),
    # Reputation watch keeps the address it had when it lived in monitoring.
    path("monitors/reputation/", include("reputation.urls")),
    path("monitors/", include("monitoring.urls")),
    path("comms/", include("comms.urls")),
    path("postmortems/", include("postmortems.urls")),
    path("dr-plans/", include("dr_plans.urls")),
    path("config/", include("config_code.urls")),  # releasing an object from config management
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    # The schema and its docs: for signed-in people and API keys only; the schema is rendered once per process.
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path(
        "api/docs/",
        # The split view loads its start-up script by URL, as the Content-Security-Policy allows no inline
        # script; the page's own <style> block (drf-spectacular's template) is allowed here only.
        csp_update({"style-src-elem": ["'self'", "'unsafe-inline'"]})(
            login_required(SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[IsAuthenticated]))
        ),
        name="api_docs",
    ),
    # Django admin's own login would skip the code step: it signs in through the one above.
    # SCIM 2.0 provisioning (accounts.scim): Okta and Entra ID manage people and groups; 404 without VIGIL_SCIM_TOKEN.
    path("scim/v2/", include("django_scim.urls", namespace="scim")),
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]
