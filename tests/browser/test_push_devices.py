"""Web Push in Chromium (issue #19): the Devices page registers the service worker at the root, the
manifest is linked and valid, and the worker's own Acknowledge handler (the code a notification's
Acknowledge button runs) acknowledges the incident by its signed URL, without a session.

What this does not cover: headless Chromium has no push service, so no real push reaches it and no
notification is clicked; the push's path from Vigil to a device (encryption, VAPID, 404/410, 429) is
tested against a fake push service in tests/comms/test_webpush.py."""

import json

from django.db import transaction
from django.urls import reverse

from incidents import paging
from incidents.models import Incident, Status
from incidents.services import do_declare
from tests.conftest import make_user
from vigil.audit import SYSTEM
from vigil.roles import Role

from .conftest import login


def test_the_devices_page_registers_the_worker_and_its_ack_handler_acknowledges(page, live_server, responder):
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/comms/devices/")
    page.wait_for_selector("[data-push][data-worker-ready=yes]")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server.url}/"

    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = json.loads(page.evaluate("url => fetch(url).then(r => r.text())", href))
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    assert page.js_errors == []

    oncall = make_user("olive-oncall", Role.RESPONDER)
    incident, _ = do_declare(SYSTEM, title="Checkout returns 502", severity="sev1")
    with transaction.atomic():
        paged = paging.page(oncall, incident)
    ack_url = live_server.url + reverse("comms:push_ack", args=[paging.ack_token(paged)])

    [worker] = page.context.service_workers
    message = worker.evaluate("url => self.vigil.acknowledge(url)", ack_url)
    assert message.startswith(f"Acknowledged incident {incident.pk}. Paging has stopped.")
    assert Incident.objects.get(pk=incident.pk).status == Status.ACKNOWLEDGED
    again = worker.evaluate("url => self.vigil.acknowledge(url)", ack_url)
    assert "already used" in again
