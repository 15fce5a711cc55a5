import pytest

from incidents.models import Component
from incidents.services import do_declare
from vigil.audit import Actor

from .fakes import FakeReceiver, FakeSendGrid, FakeTwilio

TWILIO_SID = "AC" + "0" * 32


@pytest.fixture
def fake_twilio(settings):
    """A fake Twilio API, with the real client pointed at it (TWILIO_REGION and TWILIO_EDGE stay unset)."""
    fake = FakeTwilio().start()
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = "twilio-test-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.VIGIL_TWILIO_API_URL = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def fake_sendgrid(settings):
    fake = FakeSendGrid().start()
    settings.SENDGRID_API_KEY = "SG.test-key"
    settings.VIGIL_SENDGRID_API_URL = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def fast_retries(settings):
    """Back-off in milliseconds, so retries are tested for real without waiting minutes."""
    settings.VIGIL_COMMS_RETRY_BASE = 0.01
    settings.VIGIL_COMMS_RETRY_CAP = 0.05


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def api_component(db):
    return Component.objects.create(name="API")


@pytest.fixture
def incident(actor, api_component):
    incident, _ = do_declare(actor, title="API errors", components=[api_component])
    return incident


@pytest.fixture
def receiver(loopback_receivers):
    """A receiver on loopback, which the outgoing client may reach in these tests (loopback_receivers)."""
    fake = FakeReceiver().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio_post(client, settings):
    """POST form DATA to PATH signed as Twilio signs it (X-Twilio-Signature over VIGIL_BASE_URL + path)."""
    from twilio.request_validator import RequestValidator

    def post(path: str, data: dict, signature: str | None = None):
        if signature is None:
            signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
                settings.VIGIL_BASE_URL + path, data
            )
        return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)

    return post
