"""SAML 2.0 single sign-on: Vigil as the service provider (djangosaml2 on pysaml2, xmlsec1).

djangosaml2 does the protocol: /saml2/login/ sends an AuthnRequest to the IdP (HTTP-Redirect),
/saml2/acs/ receives its Response (HTTP-POST), /saml2/metadata/ serves Vigil's metadata. pysaml2
checks the Response: the assertion must be signed by the IdP's key from its metadata
(want_assertions_signed; a signed Response around it is checked too), addressed to Vigil, in time,
and answer a request this browser started (djangosaml2 keeps the outstanding request ids in its
own session and forgets one once answered, so a Response replayed is refused as unsolicited).

This module builds pysaml2's configuration from Vigil's settings at the first SAML request
(SAML_CONFIG_LOADER = sp_config), not at settings import: the IdP's metadata may be a URL, and the
SP's key pair may have to be made. SamlBackend then turns a checked assertion into a Vigil user:
matched by email, created just in time, given the role and teams their groups map to at every
sign-in (accounts.mapping), and refused, with the reason shown, when they map to no role.
"""

import datetime
import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from djangosaml2.backends import Saml2Backend
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from vigil import http
from vigil.audit import Actor, client_ip, record
from vigil.roles import role_of

from .mapping import do_apply_grant, grant_for
from .people import unique_username

logger = logging.getLogger(__name__)

# Where the IdPs most often put a person's groups when VIGIL_SSO_GROUPS_CLAIM is not among the attributes:
# Entra ID, ADFS.
GROUP_ATTRIBUTES = (
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "http://schemas.xmlsoap.org/claims/Group",
)
GIVEN_NAME = ("givenName", "firstName", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
SURNAME = ("sn", "surname", "lastName", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname")


def is_configured() -> bool:
    return bool(settings.VIGIL_SAML_IDP_METADATA_URL or settings.VIGIL_SAML_IDP_METADATA_FILE)


# --- The SP's configuration ------------------------------------------------------------------------


def sp_config(request=None) -> SPConfig:
    """djangosaml2's SAML_CONFIG_LOADER: pysaml2's configuration, from Vigil's settings. 404 when SAML is off."""
    if not is_configured():
        raise Http404("SAML single sign-on is not configured.")
    conf = SPConfig()
    conf.load(config_dict())
    return conf


def config_dict() -> dict:
    base = settings.VIGIL_BASE_URL
    key_file, cert_file = sp_key_pair()
    return {
        "entityid": base + reverse("saml2_metadata"),
        "xmlsec_binary": settings.VIGIL_SAML_XMLSEC,
        "allow_unknown_attributes": True,  # attribute names with no friendly name are kept as sent
        "service": {
            "sp": {
                "name": "Vigil",
                "endpoints": {
                    "assertion_consumer_service": [(base + reverse("saml2_acs"), BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (base + reverse("saml2_ls"), BINDING_HTTP_REDIRECT),
                        (base + reverse("saml2_ls_post"), BINDING_HTTP_POST),
                    ],
                },
                # The assertion itself must carry the IdP's signature; a signed Response is checked too.
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "authn_requests_signed": False,
                "name_id_format": NAMEID_FORMAT_EMAILADDRESS,
            }
        },
        "metadata": idp_metadata(),
        "key_file": key_file,
        "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
    }


def idp_metadata() -> dict:
    if settings.VIGIL_SAML_IDP_METADATA_FILE:
        return {"local": [settings.VIGIL_SAML_IDP_METADATA_FILE]}
    return {"inline": [_fetched_metadata(settings.VIGIL_SAML_IDP_METADATA_URL)]}


_lock = threading.Lock()  # one fetch of the metadata, one making of the key pair, at a time
_metadata_copy: dict[str, tuple[float, str]] = {}


def _fetched_metadata(url: str) -> str:
    """The IdP's metadata from URL through vigil.http, kept VIGIL_SAML_METADATA_MAX_AGE seconds. When a
    fetch fails, the last copy stays in use (signing in keeps working through the IdP's hiccup)."""
    with _lock:
        fetched_at, text = _metadata_copy.get(url, (0.0, ""))
        if text and time.monotonic() - fetched_at < settings.VIGIL_SAML_METADATA_MAX_AGE:
            return text
        try:
            response = http.request("GET", url, max_redirects=3)
            if response.status_code != 200:
                raise http.HttpError(f"the IdP's metadata URL answered {response.status_code}")
        except (http.HttpError, http.RefusedURL):
            if not text:
                raise
            logger.warning("Could not fetch the IdP's SAML metadata from %s; using the copy from before.", url)
            return text
        _metadata_copy[url] = (time.monotonic(), response.text)
        return response.text


def sp_key_pair() -> tuple[str, str]:
    """(key file, certificate file): the configured ones, or a self-signed pair made once under VAR_DIR."""
    if settings.VIGIL_SAML_SP_KEY_FILE or settings.VIGIL_SAML_SP_CERT_FILE:
        return settings.VIGIL_SAML_SP_KEY_FILE, settings.VIGIL_SAML_SP_CERT_FILE
    folder = Path(settings.VAR_DIR) / "saml"
    key_file, cert_file = folder / "sp.key", folder / "sp.crt"
    with _lock:
        if not (key_file.exists() and cert_file.exists()):
            _make_key_pair(key_file, cert_file)
            logger.warning(
                "SAML: made a self-signed SP key pair in %s (VIGIL_SAML_SP_KEY_FILE and VIGIL_SAML_SP_CERT_FILE "
                "are unset); the IdP reads its certificate from %s/saml2/metadata/.",
                folder,
                settings.VIGIL_BASE_URL,
            )
    return str(key_file), str(cert_file)


def _make_key_pair(key_file: Path, cert_file: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vigil SAML SP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_file.touch(mode=0o600)
    key_file.write_bytes(pem)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


# --- From an assertion to a Vigil user ------------------------------------------------------------


class Refused(Exception):
    """This person may not sign in; the message says why, in words for them."""


def _first(attributes: dict, names) -> str:
    for name in names:
        values = [v for v in attributes.get(name) or () if isinstance(v, str) and v.strip()]
        if values:
            return values[0].strip()
    return ""


def email_of(session_info: dict) -> str:
    email = _first(session_info.get("ava") or {}, settings.VIGIL_SAML_EMAIL_ATTRIBUTE)
    name_id = session_info.get("name_id")
    if not email and name_id is not None and name_id.format == NAMEID_FORMAT_EMAILADDRESS:
        email = (name_id.text or "").strip()
    return email if "@" in email else ""


def groups_of(session_info: dict) -> list[str]:
    attributes = session_info.get("ava") or {}
    for name in (settings.VIGIL_SSO_GROUPS_CLAIM, *GROUP_ATTRIBUTES):
        if name in attributes:
            return [str(g) for g in attributes[name] or ()]
    return []


def sign_in(request, session_info: dict):
    """The Vigil user a checked assertion stands for, with their grant applied; Refused otherwise.
    Not one transaction: a person whose groups no longer give a role loses it even though refused."""
    email = email_of(session_info)
    if not email:
        raise Refused("The identity provider sent no email address, so Vigil cannot tell who you are.")
    matches = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise Refused(f"Several Vigil accounts have the address {email}: ask a Vigil administrator to fix that.")
    grant = grant_for(groups_of(session_info))
    ava = session_info.get("ava") or {}
    ip, agent = client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300]
    user = matches[0] if matches else None
    if user is None:
        if grant.role is None:
            raise no_role()
        user = get_user_model()(
            username=unique_username(email),
            email=email,
            first_name=_first(ava, GIVEN_NAME)[:150],
            last_name=_first(ava, SURNAME)[:150],
        )
        user.set_unusable_password()
        user.save()
        record(Actor(user=user, ip=ip, via="saml", user_agent=agent), "user.create", user, email=email)
    elif not user.is_active:
        raise Refused("Your Vigil account is deactivated: ask a Vigil administrator.")
    do_apply_grant(Actor(user=user, ip=ip, via="saml", user_agent=agent), user, grant)
    if role_of(user) is None:
        raise no_role()
    return user


def no_role() -> Refused:
    return Refused(
        "Your account has no role in Vigil: ask a Vigil administrator to add you to one of the groups that "
        "give access, then sign in again."
    )


class SamlBackend(Saml2Backend):
    """Answers only djangosaml2's assertion consumer (session_info given, already checked by pysaml2)."""

    def authenticate(self, request, session_info=None, attribute_mapping=None, create_unknown_user=True, **kwargs):
        if session_info is None or request is None:
            return None
        try:
            return sign_in(request, session_info)
        except Refused as exc:
            request.saml_refusal = str(exc)
            raise PermissionDenied(str(exc)) from None  # no other backend may answer for this assertion

    # Django asks every backend about permissions; ModelBackend already answers, so this one stays quiet.
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False
