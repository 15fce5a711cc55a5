"""What a page's push carries to the service worker (static/sw.js), as JSON, encrypted to the device.

    {"title": "[SEV1] #12 Checkout returns 502", "body": "...", "url": "<the incident's page>",
     "ack_url": "<VIGIL_BASE_URL>/comms/push/ack/<signed token>/", "tag": "vigil-incident-12",
     "severity": "sev1", "page": 34}

ack_url is the page's signed acknowledge token (incidents.paging) behind a POST-only path the worker
calls without a session or a CSRF token (comms.push.views.acknowledge): the token is the credential,
good for one acknowledgement. Made at send time, for the device it goes to; never stored.
"""

import json

from django.conf import settings
from django.urls import reverse

from incidents import paging
from incidents.models import Page

# Push services take at most 4,096 bytes of encrypted payload; the body is cut well before that.
MAX_BODY = 1000


def ack_url(page: Page) -> str:
    return settings.VIGIL_BASE_URL + reverse("comms:push_ack", args=[paging.ack_token(page)])


def for_page(page: Page, body: str) -> str:
    incident = page.incident
    # The row's text is the page's (incidents.paging.page_message) less its title line and its link line:
    # the notification has its own title, and its Acknowledge button.
    lines = [line for line in body.splitlines()[1:] if paging.ACK_LINK not in line]
    text = "\n".join(lines).strip()
    return json.dumps(
        {
            "title": f"[{incident.severity.upper()}] #{incident.pk} {incident.title}"[:200],
            "body": text[:MAX_BODY],
            "url": settings.VIGIL_BASE_URL + incident.get_absolute_url(),
            "ack_url": ack_url(page),
            "tag": f"vigil-incident-{incident.pk}",
            "severity": incident.severity,
            "page": page.pk,
        }
    )


def for_test(body: str) -> str:
    """A test page's push (comms.test_pages): the text only, nothing to acknowledge, opens the person's page."""
    return json.dumps(
        {
            "title": "Vigil test page",
            "body": body[:MAX_BODY],
            "url": settings.VIGIL_BASE_URL + reverse("comms:my_notifications"),
            "tag": "vigil-test-page",
        }
    )
