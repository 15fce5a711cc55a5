"""Content-Security-Policy (django-csp, vigil.csp): every main page carries it, strict on scripts.

The status page's own documents are checked in tests/status/test_status_csp.py; the pages in a real
browser, with no violation reported, in tests/browser/test_csp_in_the_browser.py.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.services import do_declare
from monitoring.models import CheckResult, Monitor
from vigil.audit import Actor

PAGES = [
    "/",
    "/incidents/",
    "/incidents/{incident}/",
    "/monitors/",
    "/monitors/{monitor}/",
    "/oncall/",
    "/comms/",
    "/dr-plans/",
    "/postmortems/",
    "/postmortems/reports/",
    "/system/",
    "/system/audit/",
    "/account/api-keys/",
    "/account/two-factor/",
    "/status/manage/",
    "/admin/",
]


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, (response.status_code, dict(response.headers))
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(response, settings) -> None:
    rules = policy(response)
    assert rules["default-src"] == ["'self'"]
    assert rules["script-src"] == ["'self'"]  # no inline script, no eval, nothing from elsewhere
    assert "'unsafe-inline'" not in rules["style-src"]
    assert rules["object-src"] == ["'none'"] and rules["base-uri"] == ["'none'"]
    assert rules["frame-ancestors"] == ["'none'"]
    assert "'self'" in rules["form-action"] and settings.VIGIL_BASE_URL in rules["form-action"]


def assert_no_inline_code(html: str) -> None:
    """What the policy would block, so a page that has it is broken: inline scripts, handlers, <style>."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE), "inline event handler"
    assert "javascript:" not in html
    assert "<style" not in html


@pytest.fixture
def incident(responder):
    return do_declare(Actor(user=responder), title="Checkout returns 502")[0]


@pytest.fixture
def monitor(db):
    monitor = Monitor.objects.create(name="Checkout", target="https://192.0.2.10/health")
    now = timezone.now()
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor, checked_at=now - timedelta(minutes=n), outcome=2 if n % 5 == 0 else 0, latency_ms=40 + n
        )
        for n in range(30)
    )
    return monitor


@pytest.mark.parametrize("path", PAGES)
def test_every_dashboard_page_carries_a_strict_policy(web_clients, incident, monitor, settings, path):
    response = web_clients["admin"].get(path.format(incident=incident.pk, monitor=monitor.pk))
    assert response.status_code == 200, path
    assert_strict(response, settings)
    if response["Content-Type"].startswith("text/html") and not path.startswith("/admin/"):
        assert_no_inline_code(response.content.decode())


@pytest.mark.parametrize("path", ["/login/", "/account/two-factor/verify/", "/no-such-page/"])
def test_pages_for_anonymous_visitors_carry_it_too(client, settings, path):
    settings.DEBUG = False  # django-csp leaves DEBUG's 404 page alone; production's has it
    response = client.get(path)
    assert_strict(response, settings)
    if response.status_code == 200:
        assert_no_inline_code(response.content.decode())


def test_form_action_follows_vigil_base_url(client, settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    assert "https://vigil.example.com" in policy(client.get("/login/"))["form-action"]


def test_the_api_docs_relax_styles_only_for_themselves(web_clients):
    docs = web_clients["admin"].get("/api/docs/")
    assert docs.status_code == 200
    rules = policy(docs)
    assert rules["script-src"] == ["'self'"]  # Swagger UI's start-up script is loaded by URL
    assert "<script>" not in docs.content.decode()
    assert "'unsafe-inline'" in rules["style-src-elem"]
    assert "style-src-elem" not in policy(web_clients["admin"].get("/"))
