"""Company sign-in (issue #20): how an identity provider's groups map to roles and teams, local
passwords, OpenID Connect, SAML 2.0 and SCIM. Read by the accounts app."""

from django.core.exceptions import ImproperlyConfigured

from accounts.group_map import MapError, parse_group_map
from vigil.settings.environment import env, secret

# --- Groups to roles and teams (accounts.mapping) ------------------------------------------------
# `group=role` or `group=role:Team`, comma-separated, e.g. "vigil-admins=admin,payments-oncall=responder:Payments".
VIGIL_SSO_GROUP_MAP = env.str("VIGIL_SSO_GROUP_MAP", default="")
# The claim (OIDC) or attribute (SAML) that lists a person's groups.
VIGIL_SSO_GROUPS_CLAIM = env.str("VIGIL_SSO_GROUPS_CLAIM", default="groups")
# The role of someone none of whose groups is in the map; empty: they cannot sign in.
VIGIL_SSO_DEFAULT_ROLE = env.str("VIGIL_SSO_DEFAULT_ROLE", default="")
if VIGIL_SSO_DEFAULT_ROLE not in ("", "admin", "responder", "viewer"):
    raise ImproperlyConfigured("VIGIL_SSO_DEFAULT_ROLE: admin, responder, viewer or empty.")
try:  # checked at start-up, not at the first sign-in
    parse_group_map(VIGIL_SSO_GROUP_MAP)
except MapError as _exc:
    raise ImproperlyConfigured(f"VIGIL_SSO_GROUP_MAP: {_exc}") from None

# --- Local passwords -----------------------------------------------------------------------------
# "on": everyone may sign in with a password too; "break-glass": only the usernames in
# VIGIL_BREAK_GLASS_USERS may (for when the identity provider is down); everyone else signs in through it.
VIGIL_LOCAL_PASSWORDS = env.str("VIGIL_LOCAL_PASSWORDS", default="on")
if VIGIL_LOCAL_PASSWORDS not in ("on", "break-glass"):
    raise ImproperlyConfigured("VIGIL_LOCAL_PASSWORDS: on or break-glass.")
VIGIL_BREAK_GLASS_USERS = env.list("VIGIL_BREAK_GLASS_USERS", default=["admin"])

# --- Service keys (accounts.service_keys) --------------------------------------------------------
# A team's keys for automation (vgs_...) always expire: this many days from creation unless the creator
# chooses otherwise, and never more than VIGIL_SERVICE_KEY_MAX_DAYS.
VIGIL_SERVICE_KEY_DEFAULT_DAYS = env.int("VIGIL_SERVICE_KEY_DEFAULT_DAYS", default=90)
VIGIL_SERVICE_KEY_MAX_DAYS = env.int("VIGIL_SERVICE_KEY_MAX_DAYS", default=365)
if not 1 <= VIGIL_SERVICE_KEY_DEFAULT_DAYS <= VIGIL_SERVICE_KEY_MAX_DAYS:
    raise ImproperlyConfigured("VIGIL_SERVICE_KEY_DEFAULT_DAYS: from 1 to VIGIL_SERVICE_KEY_MAX_DAYS.")

# --- OpenID Connect (accounts.oidc) --------------------------------------------------------------
# The provider's `.well-known/openid-configuration`; empty: no OpenID Connect sign-in. Read at the first
# sign-in (then cached for an hour), never at start-up: the endpoints below come from it.
OIDC_DISCOVERY_URL = env.str("OIDC_DISCOVERY_URL", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = secret("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
# What the login page's button says: "Sign in with <this>".
VIGIL_OIDC_NAME = env.str("VIGIL_OIDC_NAME", default="your company account")
# mozilla-django-oidc's own settings, fixed: PKCE and a nonce always; the ID token is kept in the
# session for the provider's logout (id_token_hint); Vigil's views and backend read the endpoints.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True
OIDC_TIMEOUT = 10
OIDC_CREATE_USER = True
OIDC_AUTHENTICATE_CLASS = "accounts.oidc_views.AuthenticateView"
OIDC_CALLBACK_CLASS = "accounts.oidc_views.CallbackView"
OIDC_OP_LOGOUT_URL_METHOD = "accounts.oidc.provider_logout_url"

# --- SAML 2.0 (accounts.saml) --------------------------------------------------------------------
# Vigil is the service provider (djangosaml2 on pysaml2); accounts.saml builds djangosaml2's configuration
# from these at the first SAML request (SAML_CONFIG_LOADER), not here. SAML is on when either metadata is set.
VIGIL_SAML_IDP_METADATA_URL = env.str("VIGIL_SAML_IDP_METADATA_URL", default="")
VIGIL_SAML_IDP_METADATA_FILE = env.str("VIGIL_SAML_IDP_METADATA_FILE", default="")
# The SP's signing key and certificate (PEM); unset: a self-signed pair made once under VIGIL_VAR_DIR/saml.
VIGIL_SAML_SP_KEY_FILE = env.str("VIGIL_SAML_SP_KEY_FILE", default="")
VIGIL_SAML_SP_CERT_FILE = env.str("VIGIL_SAML_SP_CERT_FILE", default="")
VIGIL_SAML_XMLSEC = env.str("VIGIL_SAML_XMLSEC", default="/usr/bin/xmlsec1")
# The attribute names that may carry the email address, tried in order (then a NameID in email format).
VIGIL_SAML_EMAIL_ATTRIBUTE = env.list(
    "VIGIL_SAML_EMAIL_ATTRIBUTE",
    default=[
        "email",
        "mail",
        "emailAddress",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
    ],
)
# The login page's link: "Sign in with <name>".
VIGIL_SAML_NAME = env.str("VIGIL_SAML_NAME", default="SAML")
# How long a copy of the IdP's metadata fetched from VIGIL_SAML_IDP_METADATA_URL is used before fetching again.
VIGIL_SAML_METADATA_MAX_AGE = env.int("VIGIL_SAML_METADATA_MAX_AGE", default=3600)
# djangosaml2's own settings (not read by Vigil's code).
SAML_CONFIG_LOADER = "accounts.saml.sp_config"
# AuthnRequests go to the IdP by redirect: no page with a script that the Content-Security-Policy would block.
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_CSP_HANDLER = ""  # vigil.csp's policy applies to every response already
SAML_CREATE_UNKNOWN_USER = True  # accounts.saml.SamlBackend decides (only people with a role are created)

# --- SCIM 2.0 (accounts.scim) --------------------------------------------------------------------
# The bearer token Okta or Entra ID sends to /scim/v2/; empty, the default: SCIM is off (404).
VIGIL_SCIM_TOKEN = secret("VIGIL_SCIM_TOKEN", default="")
# django-scim2's own settings: Vigil's adapters, filters and token check (accounts.scim).
SCIM_SERVICE_PROVIDER = {
    "USER_ADAPTER": "accounts.scim.User",
    "GROUP_MODEL": "accounts.models.ScimGroup",
    "GROUP_ADAPTER": "accounts.scim.Group",
    "USER_FILTER_PARSER": "accounts.scim_filters.UserFilter",
    "GROUP_FILTER_PARSER": "accounts.scim_filters.GroupFilter",
    "AUTH_CHECK_MIDDLEWARE": "accounts.scim.TokenCheck",
    "SERVICE_PROVIDER_CONFIG_MODEL": "accounts.scim.ServiceProviderConfig",
    "BASE_LOCATION_GETTER": "accounts.scim.base_location",
    "GET_EXTRA_MODEL_FILTER_KWARGS_GETTER": "accounts.scim.extra_filter_kwargs_getter",
    "GET_EXTRA_MODEL_EXCLUDE_KWARGS_GETTER": "accounts.scim.extra_exclude_kwargs_getter",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The token in VIGIL_SCIM_TOKEN, sent as Authorization: Bearer <token>.",
        }
    ],
}
