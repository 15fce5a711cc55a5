"""SMS pumping through the public sign-up form: texts are capped per country and in all, countries can
be limited, and a honeypot field turns away programs that fill in every field.

Every number is a valid one of its country; no text leaves: messages go to the sandbox outbox.
"""

import logging

import pytest
from django.test import override_settings

from comms.models import Notification, Subscriber
from comms.status import snapshot as snapshots

SUBSCRIBE = "/status/subscribe/"
pytestmark = pytest.mark.django_db
US = ["+14155552671", "+14155552672", "+14155552673", "+14155552674"]
GB = ["+447400123456", "+447400123457"]
DE = "+4915123456789"


def sign_up(client, phone: str, n: int = 0, **data):
    # Each from its own client address: the per-client limit is not what is tried here.
    return client.post(SUBSCRIBE, {"phone": phone, **data}, REMOTE_ADDR=f"203.0.113.{n + 1}")


def texts() -> int:
    return Notification.objects.filter(medium="sms").count()


def test_texts_to_one_country_stop_at_its_cap_and_others_go_on(public_client, settings, caplog):
    settings.VIGIL_STATUS_SMS_COUNTRY_RATE = "2/h"
    for n, number in enumerate(US[:2]):
        assert sign_up(public_client, number, n).status_code == 302
    with caplog.at_level(logging.WARNING, logger="comms.status.subscribers.views"):
        refused = sign_up(public_client, US[2], 2)
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "Too many sign-ups by text message have been asked for from numbers in US" in body
    assert "Nothing was sent" in body and "subscribe by email" in body
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert not Subscriber.objects.filter(address=US[2]).exists()
    assert texts() == 2
    assert "sms-country cap (2/h) is reached (US" in caplog.text
    # Another country has its own count.
    assert sign_up(public_client, GB[0], 3).status_code == 302
    assert texts() == 3


def test_texts_stop_at_the_cap_across_all_countries(public_client, settings):
    settings.VIGIL_STATUS_SMS_RATE = "3/h"
    for n, number in enumerate([US[0], GB[0], DE]):
        assert sign_up(public_client, number, n).status_code == 302
    refused = sign_up(public_client, GB[1], 3)
    assert refused.status_code == 429
    assert "Too many sign-ups by text message" in refused.content.decode()
    assert texts() == 3 and Subscriber.objects.count() == 3
    # Email sign-ups are not held back by the text caps.
    assert public_client.post(SUBSCRIBE, {"email": "ada@example.com"}, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_a_sign_up_again_for_a_confirmed_number_counts_too(public_client, settings):
    """A confirmed number is texted its manage link on a new sign-up: that text is capped like the rest."""
    settings.VIGIL_STATUS_SMS_COUNTRY_RATE = "1/h"
    assert sign_up(public_client, US[0], 0).status_code == 302
    Subscriber.objects.update(confirmed_at="2026-01-01T00:00:00Z")
    assert sign_up(public_client, US[0], 1).status_code == 429
    assert texts() == 1


def test_only_the_allowed_countries_may_sign_up_by_text(public_client, settings):
    settings.VIGIL_STATUS_SMS_COUNTRIES = ["GB", "DE"]
    refused = sign_up(public_client, US[0])
    assert refused.status_code == 400
    assert "Text messages from this page go only to numbers in GB, DE" in refused.content.decode()
    assert not Subscriber.objects.exists() and texts() == 0
    assert sign_up(public_client, GB[0], 1).status_code == 302
    assert sign_up(public_client, DE, 2).status_code == 302


def test_by_default_no_country_is_refused(public_client, settings):
    assert settings.VIGIL_STATUS_SMS_COUNTRIES == []
    for n, number in enumerate([US[0], GB[0], DE, "+61412345678", "+819012345678"]):
        assert sign_up(public_client, number, n).status_code == 302
    assert texts() == 5


def test_a_cache_that_cannot_count_refuses_texts_but_not_email(public_client, settings, caplog):
    closed_port = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES={"default": closed_port}):
        refused = sign_up(public_client, US[0])
        assert public_client.post(SUBSCRIBE, {"email": "ada@example.com"}).status_code == 200
    assert refused.status_code == 503
    assert "cannot be taken right now" in refused.content.decode()
    assert texts() == 0 and not Subscriber.objects.filter(kind="sms").exists()
    assert "refusing the request" in caplog.text


# --- The honeypot --------------------------------------------------------------------------------------


def test_a_filled_in_honeypot_sends_nothing_and_says_why(public_client, caplog):
    with caplog.at_level(logging.WARNING, logger="comms.status.subscribers.views"):
        response = sign_up(public_client, US[0], website="https://spam.example")
    assert response.status_code == 400
    assert "This sign-up looks automated" in response.content.decode()
    assert not Subscriber.objects.exists() and not Notification.objects.exists()
    assert "honeypot" in caplog.text
    # What was typed comes back, so a person who filled it in by mistake loses nothing but that field.
    assert 'value="+14155552671"' in response.content.decode()


def test_the_honeypot_is_on_the_page_hidden_and_labelled_leave_empty(outage, public_client):
    snapshots.rebuild()
    page = public_client.get("/status/").content.decode()
    assert '<label for="sub-website">Leave this field empty</label>' in page
    assert 'name="website" tabindex="-1" autocomplete="off"' in page
    assert '<div class="field hp">' in page
    css_path = page.split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert ".hp { position: absolute; left: -10000px" in public_client.get(f"/status/{css_path}").content.decode()


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_honeypot_is_a_person(public_client, value):
    assert sign_up(public_client, US[0], website=value).status_code == 302
