"""SAML 2.0 single sign-on against a pysaml2 identity provider run in the test, with Debian's xmlsec1.

The IdP (saml2.server.Server) has its own key pair, made here; the SP's and the IdP's metadata are
exchanged as XML files in tmp_path. Each test goes through the browser's steps: /saml2/login/ sends an
AuthnRequest by redirect, the IdP reads it and answers with a Response, the test posts it to the ACS.
Needs /usr/bin/xmlsec1 (skipped without it; failed under REQUIRE_SERVICES=1).
"""

import base64
import datetime
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree as etree
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

from incidents.models import Team
from tests.conftest import make_user
from vigil.audit import AuditEntry
from vigil.roles import Role, role_of

XMLSEC = "/usr/bin/xmlsec1"
IDP = "https://idp.example.test/metadata"
BASE = "http://testserver"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(autouse=True)
def xmlsec1():
    from tests.conftest import need

    need("xmlsec1", shutil.which(XMLSEC) is not None, f"{XMLSEC} is not installed (apt-get install xmlsec1)")


def key_pair(folder, name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def idp_config(key_file, cert_file, sp_metadata=None) -> IdPConfig:
    conf = IdPConfig()
    conf.load(
        {
            "entityid": IDP,
            "xmlsec_binary": XMLSEC,
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [("https://idp.example.test/sso", BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
                }
            },
            "key_file": key_file,
            "cert_file": cert_file,
            "metadata": {"local": [sp_metadata]} if sp_metadata else {},
        }
    )
    return conf


class Idp:
    """The identity provider: reads Vigil's AuthnRequest, answers with a Response to post to the ACS."""

    def __init__(self, tmp_path, client):
        self.tmp_path, self.client = tmp_path, client
        self.key_file, self.cert_file = key_pair(tmp_path, "idp")
        self.metadata = tmp_path / "idp-metadata.xml"
        self.metadata.write_text(str(entity_descriptor(idp_config(self.key_file, self.cert_file))))

    def start(self):
        sp_metadata = self.tmp_path / "sp-metadata.xml"
        sp_metadata.write_bytes(self.client.get("/saml2/metadata/").content)
        self.server = Server(config=idp_config(self.key_file, self.cert_file, str(sp_metadata)))
        # The same IdP's name with another key: what an attacker without the IdP's key could sign.
        other_key, other_cert = key_pair(self.tmp_path, "impostor")
        self.impostor = Server(config=idp_config(other_key, other_cert, str(sp_metadata)))
        return self

    def login(self, client, next_url="/incidents/"):
        """GET /saml2/login/: the AuthnRequest the IdP received, and the RelayState."""
        response = client.get("/saml2/login/", {"next": next_url})
        assert response.status_code == 302, response.content
        location = urlsplit(response["Location"])
        assert location.netloc == "idp.example.test"
        query = parse_qs(location.query)
        request = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        return request.message, query["RelayState"][0]

    def response(self, authn_request, email, groups, signer=None, sign_assertion=True, sign_response=False):
        signer = signer or self.server
        xml = signer.create_authn_response(
            identity={"email": [email], "groups": groups, "givenName": ["Sam"], "sn": ["Lee"]},
            in_response_to=authn_request.id,
            destination=authn_request.assertion_consumer_service_url,
            sp_entity_id=authn_request.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": IDP},
            sign_assertion=sign_assertion,
            sign_response=sign_response,
        )
        return base64.b64encode(str(xml).encode()).decode()

    def post(self, client, saml_response, relay_state):
        return client.post("/saml2/acs/", {"SAMLResponse": saml_response, "RelayState": relay_state})


@pytest.fixture
def saml(settings, tmp_path, client, roles):
    settings.VAR_DIR = tmp_path / "var"
    settings.VIGIL_BASE_URL = BASE
    settings.VIGIL_SSO_GROUP_MAP = "vigil-admins=admin,payments-oncall=responder:Payments,everyone=viewer"
    idp = Idp(tmp_path, client)
    settings.VIGIL_SAML_IDP_METADATA_FILE = str(idp.metadata)
    return idp.start()


def test_a_signed_assertion_signs_in_a_new_person_with_their_mapped_role_and_team(saml, client):
    authn_request, relay_state = saml.login(client)
    assert authn_request.assertion_consumer_service_url == f"{BASE}/saml2/acs/"

    response = saml.post(client, saml.response(authn_request, "Sam.Lee@Example.com", ["payments-oncall"]), relay_state)

    assert response.status_code == 302 and response["Location"] == "/incidents/"
    user = get_user_model().objects.get(email="Sam.Lee@Example.com")
    assert (user.first_name, user.last_name, user.has_usable_password()) == ("Sam", "Lee", False)
    assert role_of(user) == Role.RESPONDER
    assert list(Team.objects.get(name="Payments").members.all()) == [user]
    assert client.get("/incidents/").status_code == 200
    grant = AuditEntry.objects.get(action="user.sso_grant")
    assert (grant.via, grant.details) == ("saml", {"role": "responder", "teams": ["Payments"]})


def test_an_existing_person_is_matched_by_email_whatever_its_case_and_regranted(saml, client):
    person = make_user("sam", Role.VIEWER)
    person.email = "sam@example.com"
    person.save()
    authn_request, relay_state = saml.login(client)

    response = saml.post(client, saml.response(authn_request, "SAM@example.COM", ["vigil-admins"]), relay_state)

    assert response.status_code == 302
    assert get_user_model().objects.filter(email__iexact="sam@example.com").count() == 1
    assert role_of(person) == Role.ADMIN
    assert client.session["_auth_user_id"] == str(person.pk)


def test_a_person_with_an_authenticator_app_is_not_asked_for_vigils_code(saml, client):
    person = make_user("sam", Role.RESPONDER)
    TOTPDevice.objects.create(user=person, name="authenticator app", confirmed=True)
    authn_request, relay_state = saml.login(client)

    saml.post(client, saml.response(authn_request, person.email, ["payments-oncall"]), relay_state)

    assert client.session["vigil_signed_in_by"]["provider"] == "saml"  # accounts.sessions
    assert client.get("/incidents/").status_code == 200


def test_a_signed_response_around_the_signed_assertion_is_accepted(saml, client):
    authn_request, relay_state = saml.login(client)

    answer = saml.response(authn_request, "sam@example.com", ["everyone"], sign_response=True)

    assert saml.post(client, answer, relay_state).status_code == 302
    assert role_of(get_user_model().objects.get(email="sam@example.com")) == Role.VIEWER


def test_an_unsigned_assertion_is_refused(saml, client):
    authn_request, relay_state = saml.login(client)

    response = saml.post(
        client, saml.response(authn_request, "sam@example.com", ["vigil-admins"], sign_assertion=False), relay_state
    )

    assert response.status_code == 403
    assert b"could not accept" in response.content
    assert not get_user_model().objects.filter(email="sam@example.com").exists()
    assert "_auth_user_id" not in client.session


def test_an_assertion_signed_by_another_key_is_refused(saml, client):
    authn_request, relay_state = saml.login(client)

    forged = saml.response(authn_request, "sam@example.com", ["vigil-admins"], signer=saml.impostor)
    response = saml.post(client, forged, relay_state)

    assert response.status_code == 403
    assert not get_user_model().objects.filter(email="sam@example.com").exists()


def test_a_replayed_response_is_refused(saml, client, django_user_model):
    authn_request, relay_state = saml.login(client)
    answer = saml.response(authn_request, "sam@example.com", ["everyone"])
    assert saml.post(client, answer, relay_state).status_code == 302
    client.logout()

    again = saml.post(client, answer, relay_state)

    assert again.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_response_to_a_request_another_browser_started_is_refused(saml, client, django_user_model):
    from django.test import Client

    authn_request, relay_state = saml.login(client)
    answer = saml.response(authn_request, "sam@example.com", ["everyone"])

    assert saml.post(Client(), answer, relay_state).status_code == 403


def test_a_person_whose_groups_give_no_role_is_refused_with_the_reason(saml, client):
    authn_request, relay_state = saml.login(client)

    response = saml.post(client, saml.response(authn_request, "sam@example.com", ["contractors"]), relay_state)

    assert response.status_code == 403
    assert b"Your account has no role in Vigil" in response.content
    assert not get_user_model().objects.filter(email="sam@example.com").exists()


def test_an_existing_person_who_lost_their_groups_loses_their_role_and_is_refused(saml, client):
    person = make_user("sam", Role.RESPONDER)
    authn_request, relay_state = saml.login(client)

    response = saml.post(client, saml.response(authn_request, person.email, []), relay_state)

    assert response.status_code == 403
    assert b"Your account has no role in Vigil" in response.content
    person.refresh_from_db()
    assert role_of(person) is None and person.is_active


def test_two_accounts_with_the_same_address_are_refused_as_ambiguous(saml, client):
    for name in ("sam", "sam2"):
        user = make_user(name, Role.VIEWER)
        user.email = "sam@example.com" if name == "sam" else "SAM@example.com"
        user.save()
    authn_request, relay_state = saml.login(client)

    response = saml.post(client, saml.response(authn_request, "sam@example.com", ["everyone"]), relay_state)

    assert response.status_code == 403
    assert b"Several Vigil accounts" in response.content


def test_the_sp_metadata_names_the_acs_and_the_signing_certificate(saml, client, settings):
    response = client.get("/saml2/metadata/")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.get("entityID") == f"{BASE}/saml2/metadata/"
    acs = root.find(f".//{{{MD}}}AssertionConsumerService")
    assert (acs.get("Location"), acs.get("Binding")) == (f"{BASE}/saml2/acs/", BINDING_HTTP_POST)
    sp = root.find(f"{{{MD}}}SPSSODescriptor")
    assert sp.get("WantAssertionsSigned") == "true"
    signing = sp.find(f"{{{MD}}}KeyDescriptor[@use='signing']")
    cert = signing.find(f".//{{{DS}}}X509Certificate").text
    made = (settings.VAR_DIR / "saml" / "sp.crt").read_text()
    assert "".join(cert.split()) in "".join(made.split())


def test_the_login_page_links_to_saml_when_configured(saml, client, settings):
    settings.VIGIL_SAML_NAME = "Okta"
    assert b"Sign in with Okta" in client.get("/login/").content
    settings.VIGIL_SAML_IDP_METADATA_FILE = ""
    assert b"Sign in with" not in client.get("/login/").content
    assert client.get("/saml2/metadata/").status_code == 404
