"""Secrets and personal data reach only whom they belong to (vigil.privacy), in the dashboard and the API.

Planted: a datum of every sensitive kind, each a distinct unguessable string. Then every dashboard
page and API list and detail is fetched as a viewer, a responder and an admin (the pages come from
the URL conf and the links on them, the API's lists and details from its routes, so a new page is
covered without editing this test), and each response is searched, as the status page's privacy
test does for the public.
"""

import html
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from comms import outbox
from comms.models import (
    AppriseTarget,
    Contact,
    Endpoint,
    Fanout,
    Notification,
    NotificationRule,
    Stakeholder,
    Subscriber,
)
from comms.models.outbox import State
from dr_plans.models import CallTreeLevel
from incidents import paging
from incidents.integrations.services import do_create_integration
from incidents.models import Component, PublicStatus, Schedule
from incidents.services import do_declare, do_post_update
from monitoring.models import Monitor
from reputation.services import do_create_source
from tests.conftest import api_client_for, make_user
from tests.dr_plans.conftest import make_plan
from vigil.audit import Actor
from vigil.roles import Role
from vigil.services import do_create_api_key

# Seen by admins and responders, masked for viewers.
PRIVATE = {
    "stakeholder email": "pm-stake-q7w@privcorp.example",
    "stakeholder phone": "+14155550187",
    "colleague's phone": "+14155550135",
    "colleague's email": "pm-olga-3kd@privcorp.example",
    "URL credentials": "PMURLPASS-h4x",
    "URL query": "PMQUERY-8zq",
    "URL path": "PMPATH-c3m",
    "monitor header": "PMHEADER-2vb",
    "monitor body": "PMBODY-5tn",
    "a notice's text": "PMNOTICE-6yh",
    "a provider's error": "PMERROR-w8e",
}
# Seen by admins only.
SECRET = {
    "Slack webhook URL": "PMSLACK-k2j",
    "subscriber email": "pm-sub-r5t@privcorp.example",
    "subscriber phone": "+14155550164",
    "subscriber webhook": "PMSUBPATH-x1u",
    "Apprise endpoint URL": "PMAPPEND-v6n",
    "colleague Apprise URL": "PMAPPUSER-z9p",
    "subscriber Apprise URL": "PMSUBAPPR-m3k",
}
# Seen by nobody once made (links and codes are rendered at send time; secrets are write-only).
NEVER = {
    # Any signed link (the message template editor previews with an unsigned sample one).
    "acknowledge link": re.compile(r"/incidents/ack/(?!sample-not-a-real-link)"),
    "manage link": "/status/subscription/",
    "endpoint secret": "PMENDSECRET-9qa",
    "subscriber secret": "PMSUBSECRET-4fd",
}

# Not dashboard pages: the public status page, credentials-in-URL endpoints, webhooks, the schema, Django's admin.
SKIP = (
    "/admin/", "/logout/", "/login/", "/ping/", "/api/v2/", "/static/", "/integrations/hooks/", "/comms/hooks/",
    "/incidents/ack/", "/oncall/feeds/", "/api/schema/", "/api/docs/", "/metrics", "/healthz",
    "/monitors/reputation/hooks/",
)  # fmt: skip
PUBLIC_STATUS = re.compile(r"^/status/(?!manage/)")
MAX_PAGES = 400


@pytest.fixture(autouse=True)
def no_network(settings):
    # Nothing here sends: no provider keys, so every person's message stays on the sandbox channel.
    settings.SENDGRID_API_KEY = ""
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""


@pytest.fixture
def planted(personas, django_capture_on_commit_callbacks):
    admin = personas["admin"]
    actor = Actor(user=admin, via="web")
    api = Component.objects.create(name="Public API", public=True)

    olga = make_user("oncall-olga", Role.RESPONDER)
    olga.email = PRIVATE["colleague's email"]
    olga.save()
    Contact.objects.create(user=olga, phone=PRIVATE["colleague's phone"])
    NotificationRule.objects.create(user=olga, medium="email", delay_minutes=0)
    NotificationRule.objects.create(user=olga, medium="sms", delay_minutes=0)
    AppriseTarget.objects.create(user=olga, url=f"tgram://123456:{SECRET['colleague Apprise URL']}/987")
    NotificationRule.objects.create(user=olga, medium="apprise", delay_minutes=0)

    stakeholder = Stakeholder.objects.create(
        name="Ada Stake", email=PRIVATE["stakeholder email"], phone=PRIVATE["stakeholder phone"], channels=["email"]
    )
    stakeholder.components.add(api)
    Endpoint.objects.create(
        name="Ops Slack", kind="slack", url=f"https://hooks.slack.example/services/{SECRET['Slack webhook URL']}",
        secret=NEVER["endpoint secret"],
    )  # fmt: skip
    Endpoint.objects.create(
        name="Ops Apprise", kind="apprise", url=f"json://hooks.pmapp.example/{SECRET['Apprise endpoint URL']}"
    )
    for kind, address in [
        ("email", SECRET["subscriber email"]),
        ("sms", SECRET["subscriber phone"]),
        ("webhook", f"https://hooks.pmsub.example/{SECRET['subscriber webhook']}"),
        ("apprise", f"tgram://654321:{SECRET['subscriber Apprise URL']}/42"),  # admin-set (comms.admin)
    ]:
        Subscriber.objects.create(
            kind=kind, address=address, confirmed_at=timezone.now(), secret=NEVER["subscriber secret"]
        )

    Monitor.objects.create(
        name="Checkout API",
        kind="http",
        target=f"https://pm:{PRIVATE['URL credentials']}@monitored.example/{PRIVATE['URL path']}"
        f"?token={PRIVATE['URL query']}",
        headers={"Authorization": f"Bearer {PRIVATE['monitor header']}"},
        body=PRIVATE["monitor body"],
        component=api,
    )
    heartbeat = Monitor.objects.create(name="Nightly backup", kind="heartbeat")
    schedule = Schedule.objects.create(name="Platform on call")

    plan = make_plan(actor, "Database lost")
    CallTreeLevel.objects.create(plan=plan).people.add(stakeholder)

    # An incident with a public update (to the stakeholder, the subscribers and Slack) and a page to Olga.
    incident, _ = do_declare(actor, title="Checkout errors", components={api: "partial_outage"})
    update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Some payments fail; we are on it.")
    Fanout.objects.get_or_create(update=update)
    outbox.plan_update(update.pk)
    page = paging.page(olga, incident)
    outbox.plan_page(page)
    ack_code = Notification.objects.get(page=page, medium="sms").ack_code
    error = PRIVATE["a provider's error"]
    Notification.objects.create(
        user=olga, medium="email", channel="sandbox", destination=olga.email, subject="DR review",
        body=PRIVATE["a notice's text"], state=State.FAILED, error=f"HTTP 400: {error}",
    )  # fmt: skip

    integration = do_create_integration(actor, name="Prometheus", kind="alertmanager")
    source = do_create_source(actor, name="Hook", kind="webhook")
    _, raw_key = do_create_api_key(actor, admin, "ci")
    return {
        "secret tokens": {
            "integration token": integration.token,
            "mention source secret": source.secret,
        },
        "private tokens": {
            "heartbeat ping token": str(heartbeat.ping_token),
            "schedule iCal token": schedule.ical_token,
        },
        "never": {"ack code": f"ACK {ack_code}", "API key": raw_key},
        "monitor": heartbeat,
        "schedule": schedule,
    }


# --- The crawl -------------------------------------------------------------------------------------


def _patterns(resolver=None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern).replace("^", "").replace("$", "")
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route


def _skipped(path: str) -> bool:
    return path.startswith(SKIP) or bool(PUBLIC_STATUS.match(path))


def _links(body: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="(/[^"#]*)"', body)]


def crawl(user) -> dict[str, str]:
    """Every page USER can reach, from the URL conf's pages without arguments and the links on each page;
    then every API list, and every API route taking an id with each id the list gave. {url: body}."""
    web, api = Client(), api_client_for(user)
    web.force_login(user)
    routes = list(_patterns())
    seen: dict[str, str] = {}
    queue = [p for p in routes if "<" not in p and "(?P" not in p and not p.startswith("/api/") and not _skipped(p)]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or _skipped(urlsplit(url).path):
            continue
        try:
            resolve(urlsplit(url).path)
        except Resolver404:
            continue
        response = web.get(url)
        body = response.content.decode("utf-8", errors="replace")
        seen[url] = body if response.status_code == 200 else ""
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            queue += [link for link in _links(body) if link not in seen]
    lists = [p for p in routes if p.startswith("/api/v1/") and "(?P" not in p and "<" not in p]
    for url in lists:
        response = api.get(url, {"page_size": 500})
        seen[url] = response.content.decode("utf-8", errors="replace")
        data = response.json() if response.status_code == 200 else {}
        items = data.get("results", data) if isinstance(data, dict) else data
        items = items if isinstance(items, list) else []
        ids = [item["id"] for item in items if isinstance(item, dict) and "id" in item]
        for route in routes:
            if route.startswith(url) and route.count("(?P<pk>") == 1:
                for pk in ids:
                    detail = re.sub(r"\(\?P<pk>[^)]*\)", str(pk), route)
                    seen[detail] = api.get(detail).content.decode("utf-8", errors="replace")
    return seen


def found(pages: dict[str, str], strings: dict) -> list[tuple[str, str]]:
    """(what, url) for each string (or pattern) of STRINGS in any page."""

    def holds(body: str, s) -> bool:
        return bool(s.search(body)) if isinstance(s, re.Pattern) else s.lower() in body.lower()

    return [(what, url) for url, body in pages.items() for what, s in strings.items() if holds(body, s)]


def test_a_viewer_sees_no_secret_and_no_personal_datum(planted, personas):
    pages = crawl(personas["viewer"])
    forbidden = {**PRIVATE, **SECRET, **NEVER, **planted["never"], **planted["secret tokens"]}
    forbidden.update(planted["private tokens"])
    assert found(pages, forbidden) == []
    # Masked, not gone: a viewer still learns which domain a stakeholder's address is at.
    assert "•••@privcorp.example" in pages["/api/v1/stakeholders/"]
    # The crawl reached every kind of page (a broken crawl would find nothing anywhere).
    monitor, schedule = planted["monitor"], planted["schedule"]
    for url in (
        "/comms/outbox/", "/comms/", f"/monitors/{monitor.pk}/", f"/oncall/schedules/{schedule.pk}/", "/oncall/",
        "/api/v1/notifications/", "/api/v1/monitors/", f"/api/v1/monitors/{monitor.pk}/", "/api/v1/schedules/",
        "/api/v1/stakeholders/", "/api/v1/comms-endpoints/", "/api/v1/dr-call-tree-levels/",
    ):  # fmt: skip
        assert pages.get(url), f"{url} was not fetched, or not served"
    assert any(u.startswith("/dr-plans/") and u.endswith("/export.md") and pages[u] for u in pages)
    assert len(pages) > 100


def test_a_responder_sees_personal_data_but_no_secret(planted, personas):
    pages = crawl(personas["responder"])
    forbidden = {**SECRET, **NEVER, **planted["never"], **planted["secret tokens"]}
    assert found(pages, forbidden) == []
    # What a responder needs to run an incident is there.
    seen = {what for what, _ in found(pages, {**PRIVATE, **planted["private tokens"]})}
    assert seen == set(PRIVATE) | set(planted["private tokens"])


def test_an_admin_sees_what_they_need_and_still_no_stored_link(planted, personas):
    pages = crawl(personas["admin"])
    never = {**NEVER, **planted["never"]}
    assert found(pages, never) == []
    seen = {what for what, _ in found(pages, {**PRIVATE, **SECRET, **planted["secret tokens"]})}
    assert seen == set(PRIVATE) | set(SECRET) | set(planted["secret tokens"])


def test_a_person_sees_their_own_page_and_contact(planted, personas):
    """Whatever their role, a person sees the outbox rows addressed to them in full (vigil.privacy's owner)."""
    olga = type(personas["viewer"]).objects.get(username="oncall-olga")
    from vigil.roles import assign_role

    assign_role(olga, Role.VIEWER)
    body = api_client_for(olga).get("/api/v1/notifications/", {"page_size": 500}).content.decode()
    assert PRIVATE["colleague's email"] in body and PRIVATE["a notice's text"] in body
    assert SECRET["subscriber email"] not in body and PRIVATE["stakeholder email"] not in body
