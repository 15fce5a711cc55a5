"""A signed SendGrid event post is refused once its timestamp is more than ten minutes from now: a recorded
request played again later moves nothing."""

import json
import time

from comms import provider_callbacks
from comms.models import Notification, State
from tests.comms.test_sendgrid_events import PATH, events, sent, signed, signing_key  # noqa: F401 (fixtures)


def post_at(client, key, batch, timestamp: int):
    body = json.dumps(batch).encode()
    return client.post(PATH, body, content_type="application/json", **signed(key, body, str(timestamp)))


def test_a_validly_signed_post_older_than_ten_minutes_is_refused(client, sent, signing_key):  # noqa: F811
    ada = sent[0]
    now = int(time.time())
    assert post_at(client, signing_key, events(ada, "bounce"), now - 11 * 60).status_code == 403
    assert post_at(client, signing_key, events(ada, "bounce"), now + 11 * 60).status_code == 403
    assert post_at(client, signing_key, events(ada, "bounce"), 0).status_code == 403
    assert Notification.objects.get(pk=ada.pk).state == State.SENT
    # Within the window (SendGrid retries for a while, and clocks drift): accepted.
    assert post_at(client, signing_key, events(ada, "delivered"), now - 9 * 60).status_code == 204
    assert Notification.objects.get(pk=ada.pk).state == State.DELIVERED
    assert provider_callbacks.SENDGRID_MAX_AGE == 600


def test_a_timestamp_that_is_not_a_number_is_refused(client, sent, signing_key):  # noqa: F811
    body = json.dumps(events(sent[0], "delivered")).encode()
    headers = signed(signing_key, body, "yesterday")
    assert client.post(PATH, body, content_type="application/json", **headers).status_code == 403
