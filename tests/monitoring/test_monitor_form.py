"""The monitor form on one page: limits the browser and the server share, header rows, folded sections
that open on an error, *Test* before saving (same action, rule and rate limit as *Test now*), and
posts that redirect."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import redundancy, services
from monitoring.models import Monitor
from vigil.audit import Actor
from vigil.models import AuditEntry

from .servers import closed_port

NEW = {
    "name": "Checkout",
    "component": "",
    "severity": "sev2",
    "escalation_policy": "",
    "interval_seconds": "60",
    "timeout_seconds": "5",
    "retry_interval_seconds": "5",
    "failure_threshold": "2",
    "recovery_threshold": "2",
    "method": "GET",
    "expected_status": "200-299",
    "follow_redirects": "on",
    "verify_tls": "on",
    "headers-TOTAL_FORMS": "2",
    "headers-INITIAL_FORMS": "0",
    "headers-0-name": "",
    "headers-0-value": "",
    "headers-1-name": "",
    "headers-1-value": "",
}


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def admin(web_clients):
    return web_clients["admin"]


def text(response) -> str:
    return response.content.decode()


def input_tag(page: str, name: str) -> str:
    """The input named NAME in the page's monitor or maintenance form (not in a banner's form)."""
    page = page.split("data-monitor-form", 1)[-1].split('id="plan-maintenance"', 1)[-1]
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, name
    return found.group(0)


# --------------------------------------------------------------------------- one page, limits


def test_one_page_asks_kind_name_target_and_interval_first_and_folds_the_rest(admin):
    page = text(admin.get("/monitors/new/"))
    essentials = page.split('class="essentials"')[1].split("</fieldset>")[0]
    for name in ("name", "target", "interval_seconds"):
        assert f'name="{name}"' in essentials
    assert 'name="expected_status"' not in essentials and 'name="timeout_seconds"' not in essentials
    assert all(kind in essentials for kind in ("HTTP(S)", "TCP", "TLS certificate", "DNS", "Heartbeat"))
    # The rest sits in <details>, closed while nothing in them is wrong; headers are rows, no JSON box.
    assert page.count('<details class="form-section" data-testid="form-section">') == 5
    assert 'name="headers"' not in page and 'name="headers-0-name"' in page
    assert '<button type="submit" class="secondary" formaction="/monitors/new/http/test/" data-test-button>Test' in page


def test_inputs_carry_the_servers_limits(admin):
    page = text(admin.get("/monitors/new/http/"))
    assert 'min="10"' in input_tag(page, "interval_seconds") and 'max="86400"' in input_tag(page, "interval_seconds")
    assert 'min="0.1"' in input_tag(page, "timeout_seconds") and 'max="60"' in input_tag(page, "timeout_seconds")
    for name in ("failure_threshold", "recovery_threshold"):
        assert 'min="1"' in input_tag(page, name) and 'max="10"' in input_tag(page, name)
    assert 'min="1"' in input_tag(page, "degraded_after_ms")
    tcp = text(admin.get("/monitors/new/tcp/"))
    assert 'min="1"' in input_tag(tcp, "port") and 'max="65535"' in input_tag(tcp, "port")
    # No maxlength (a browser cuts a paste to it silently): the limit is said, and refused with a message.
    name = input_tag(page, "name")
    assert " maxlength=" not in name and 'data-maxlength="100"' in name
    assert "novalidate" not in page.split("data-monitor-form")[0].rsplit("<form", 1)[1]


def test_an_interval_under_10_s_is_refused_by_the_server_too(admin):
    response = admin.post("/monitors/new/http/", {**NEW, "target": "https://example.com/", "interval_seconds": "5"})
    assert response.status_code == 400
    assert response.context["form"].errors["interval_seconds"] == ["Ensure this value is greater than or equal to 10."]
    assert not Monitor.objects.exists()


def test_text_longer_than_its_field_is_refused_with_a_message_not_cut(admin):
    response = admin.post("/monitors/new/http/", {**NEW, "name": "x" * 130, "target": "https://example.com/"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Ensure this value has at most 100 characters (it has 130)."]
    assert not Monitor.objects.exists()


# --------------------------------------------------------------------------- errors beside fields, sections open


def test_an_error_in_a_folded_section_opens_it_and_focuses_the_field(admin):
    response = admin.post("/monitors/new/http/", {**NEW, "target": "https://example.com/", "expected_status": "abc"})
    assert response.status_code == 400
    page = text(response)
    sections = re.findall(r'<details class="form-section"( open)?[^>]*>\s*<summary>([^<]+)', page)
    assert [legend.strip() for is_open, legend in sections if is_open] == ["What counts as up"]
    field = input_tag(page, "expected_status")
    assert "autofocus" in field and 'aria-invalid="true"' in field
    assert page.split("data-monitor-form")[1].count("autofocus") == 1
    assert 'id="monitor_expected_status_error"' in page


def test_a_refused_header_row_opens_its_section_with_the_error_beside_it(admin):
    data = {**NEW, "target": "https://example.com/", "headers-0-name": "X Team", "headers-0-value": "payments"}
    response = admin.post("/monitors/new/http/", data)
    assert response.status_code == 400
    page = text(response)
    request_section = page.split("<summary>Request")[0].rsplit("<details", 1)[1]
    assert request_section.startswith(' class="form-section" open')
    assert "&#x27;X Team&#x27; is not a valid header name." in page
    assert "autofocus" in input_tag(page, "headers-0-name")
    assert not Monitor.objects.exists()


def test_a_header_named_twice_is_refused(admin):
    data = {
        **NEW,
        "target": "https://example.com/",
        **{"headers-0-name": "Accept", "headers-0-value": "a", "headers-1-name": "accept", "headers-1-value": "b"},
    }
    response = admin.post("/monitors/new/http/", data)
    assert response.context["form"].header_rows.errors[1]["name"] == ["accept is set twice: keep one row for it."]


# --------------------------------------------------------------------------- header rows


def test_header_rows_become_the_monitors_headers_and_come_back_as_rows(admin, actor):
    data = {
        **NEW,
        "target": "https://example.com/",
        **{
            "headers-0-name": "X-Team",
            "headers-0-value": "payments",
            "headers-1-name": "Accept",
            "headers-1-value": "*/*",
        },
    }
    response = admin.post("/monitors/new/http/", data)
    monitor = Monitor.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/monitors/{monitor.pk}/"
    assert monitor.headers == {"X-Team": "payments", "Accept": "*/*"}
    form = text(admin.get(f"/monitors/{monitor.pk}/edit/"))
    rows = dict(
        re.findall(r'name="headers-\d-name" value="([^"]*)".*?name="headers-\d-value" value="([^"]*)"', form, re.S)
    )
    assert rows == {"X-Team": "payments", "Accept": "*/*"}  # in any order (PostgreSQL's jsonb sorts keys)
    assert 'name="headers-TOTAL_FORMS" value="3"' in form  # and one empty row to add another
    # A post without rows (an older client) leaves them as they are; emptied rows remove them.
    edit = {k: v for k, v in data.items() if not k.startswith("headers-")}
    assert admin.post(f"/monitors/{monitor.pk}/edit/", {**edit, "name": "Renamed"}).status_code == 302
    monitor.refresh_from_db()
    assert monitor.name == "Renamed" and monitor.headers == {"X-Team": "payments", "Accept": "*/*"}
    emptied = {**data, "headers-0-name": "", "headers-0-value": ""}
    assert admin.post(f"/monitors/{monitor.pk}/edit/", emptied).status_code == 302
    monitor.refresh_from_db()
    assert monitor.headers == {"Accept": "*/*"}


# --------------------------------------------------------------------------- Test before saving


def test_test_probes_the_unsaved_settings_with_their_headers_and_saves_nothing(admin, servers):
    # /echo answers with the request's headers, so the keyword proves the row's header arrived.
    data = {
        **NEW,
        "target": servers.url("/echo"),
        "keyword": '"x-team": "payments"',
        **{"headers-0-name": "X-Team", "headers-0-value": "payments"},
    }
    response = admin.post("/monitors/new/http/test/", data)
    assert response.status_code == 200
    result = text(response).split('data-testid="test-result"')[1].split("</section>")[0]
    assert '<span class="badge up">Up</span>' in result and "HTTP 200" in result
    assert 'value="payments"' in text(response)  # the form comes back as typed, ready to save
    assert not Monitor.objects.exists()
    entry = AuditEntry.objects.get(action="monitor.test")
    assert entry.details["unsaved"] is True and entry.target_id == "" and "target" not in entry.details
    # The page's script asks for the result alone.
    fragment = admin.post("/monitors/new/http/test/", data, HTTP_X_REQUESTED_WITH="fetch")
    assert fragment["X-Vigil-Fragment"] == "test-result" and "<h1>" not in text(fragment)
    assert '<span class="badge up">Up</span>' in text(fragment)


def test_test_shows_a_failure_and_the_form_errors_when_settings_are_invalid(admin, servers):
    down = admin.post("/monitors/new/http/test/", {**NEW, "target": servers.url("/status/503")})
    assert "HTTP 503 (expected 200-299)" in text(down).split('data-testid="test-result"')[1]
    invalid = admin.post("/monitors/new/http/test/", {**NEW, "target": "example.com"}, HTTP_X_REQUESTED_WITH="fetch")
    assert invalid.status_code == 400 and "X-Vigil-Fragment" not in invalid  # the script re-sends for errors in place
    assert "Must start with http:// or https://." in invalid.context["form"].errors["target"][0]


def test_test_goes_through_the_probes_address_rule(admin, settings, servers):
    settings.VIGIL_PROBE_ALLOWED_NETWORKS = []  # as an install that lists no internal network
    servers.stats.reset()
    response = admin.post("/monitors/new/http/test/", {**NEW, "target": servers.url("/ok")})
    result = text(response).split('data-testid="test-result"')[1].split("</section>")[0]
    assert '<span class="badge down">Down</span>' in result and "a loopback address" in result
    assert servers.stats.total == 0  # refused before connecting


def test_only_those_who_may_create_may_test_new_settings(web_clients, actor, servers):
    data = {**NEW, "target": servers.url("/ok")}
    assert web_clients["responder"].post("/monitors/new/http/test/", data).status_code == 403
    assert web_clients["viewer"].post("/monitors/new/http/test/", data).status_code == 403
    assert web_clients["anonymous"].post("/monitors/new/http/test/", data).status_code == 302
    # A responder may edit a monitor, so may test the edits before saving them.
    monitor = services.do_create_monitor(actor, name="Home", target=servers.url("/ok"))
    edited = web_clients["responder"].post(f"/monitors/{monitor.pk}/edit/test/", {**data, "name": "Home"})
    assert edited.status_code == 200 and '<span class="badge up">Up</span>' in text(edited)
    assert web_clients["viewer"].post(f"/monitors/{monitor.pk}/edit/test/", data).status_code == 403
    assert web_clients["admin"].get("/monitors/new/http/test/").status_code == 405


def test_tests_are_rate_limited_per_person_across_test_and_test_now(web_clients, actor, settings, servers):
    settings.VIGIL_MONITOR_TEST_RATE = "2/m"
    monitor = services.do_create_monitor(actor, name="Home", target=servers.url("/ok"))
    admin = web_clients["admin"]
    data = {**NEW, "target": servers.url("/ok")}
    assert admin.post("/monitors/new/http/test/", data).status_code == 200
    assert admin.post(f"/monitors/{monitor.pk}/test/", HTTP_X_REQUESTED_WITH="fetch").status_code == 200
    servers.stats.reset()
    refused = admin.post("/monitors/new/http/test/", data)
    assert refused.status_code == 429 and "Too many tests: try again in" in text(refused)
    assert admin.post(f"/monitors/{monitor.pk}/test/", HTTP_X_REQUESTED_WITH="fetch").status_code == 429
    assert servers.stats.total == 0  # no probe ran past the limit
    # Another person has their own count.
    assert web_clients["responder"].post(f"/monitors/{monitor.pk}/test/", follow=True).status_code == 200


def test_test_now_redirects_and_the_page_shows_the_result_once(admin, actor, servers):
    monitor = services.do_create_monitor(actor, name="Home", target=servers.url("/status/503"))
    response = admin.post(f"/monitors/{monitor.pk}/test/")
    assert response.status_code == 302 and response["Location"] == f"/monitors/{monitor.pk}/"
    page = text(admin.get(f"/monitors/{monitor.pk}/"))
    assert "HTTP 503 (expected 200-299)" in page.split('data-testid="test-result"')[1]
    assert 'data-testid="test-result"' not in text(admin.get(f"/monitors/{monitor.pk}/"))


# --------------------------------------------------------------------------- groups on the form


def test_the_form_puts_a_monitor_in_an_existing_or_a_new_group_of_replicas(admin):
    from monitoring.models import RedundancyGroup

    created = admin.post("/monitors/new/http/", {**NEW, "target": "https://a.example/", "new_redundancy_group": "API"})
    assert created.status_code == 302
    group = RedundancyGroup.objects.get()
    assert group.name == "API" and Monitor.objects.get().redundancy_group == group
    data = {**NEW, "name": "Second", "target": "https://b.example/", "redundancy_group": str(group.pk)}
    assert admin.post("/monitors/new/http/", data).status_code == 302
    assert group.monitors.count() == 2
    both = admin.post("/monitors/new/http/", {**data, "name": "Third", "new_redundancy_group": "Other"})
    assert both.status_code == 400
    assert both.context["form"].errors["new_redundancy_group"] == ["Choose a group above or name a new one, not both."]
    assert RedundancyGroup.objects.count() == 1


# --------------------------------------------------------------------------- maintenance: errors at the page's URL


def test_a_refused_maintenance_window_shows_on_the_monitors_page_with_its_form_open(web_clients, actor):
    monitor = services.do_create_monitor(actor, name="Home", target="https://example.com/")
    responder = web_clients["responder"]
    page = f"/monitors/{monitor.pk}/"
    data = {"starts_at": "2030-01-01T02:00", "ends_at": "2030-01-01T01:00", "scope": "monitor", "reason": "Upgrade"}
    assert f'action="{page}#plan-maintenance"' in text(responder.get(page))
    bad = responder.post(page, data)
    assert bad.status_code == 400 and "The window must end after it starts." in text(bad)
    body = text(bad)
    assert '<details open data-testid="plan-maintenance">' in body
    assert "autofocus" in input_tag(body, "ends_at")
    too_long = responder.post(page, {**data, "ends_at": "2030-01-01T03:00", "reason": "r" * 201})
    assert "Ensure this value has at most 200 characters (it has 201)." in text(too_long)
    good = responder.post(page, {**data, "ends_at": "2030-01-01T03:00"})
    assert good.status_code == 302 and good["Location"] == page
    assert monitor.maintenance_windows.count() == 1
    assert web_clients["viewer"].post(page, {**data, "ends_at": "2030-01-01T03:00"}).status_code == 403


# --------------------------------------------------------------------------- the live monitor page


def poll(client, url: str, tag: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": tag} if tag else {}
    return client.get(url, HTTP_X_REQUESTED_WITH="fetch", **headers)


def test_an_unchanged_monitor_page_answers_304_for_one_query(web_clients, actor, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group = redundancy.do_create_redundancy_group(actor, name="API")
    monitor = services.do_create_monitor(actor, name="East", target="https://e.example/", redundancy_group=group)
    other = services.do_create_monitor(actor, name="West", target="https://w.example/", redundancy_group=group)
    client = web_clients["viewer"]
    url = f"/monitors/{monitor.pk}/?partial=1"
    first = poll(client, url)
    assert first.status_code == 200 and "<h1" in text(first) and "<html" not in text(first)
    poll(client, url, first["ETag"])  # session and permissions warm
    with CaptureQueriesContext(connection) as queries:
        again = poll(client, url, first["ETag"])
    assert again.status_code == 304
    assert len([q for q in queries if "monitoring_" in q["sql"]]) == 1

    # A replica going down, the monitor's own state, a window: each shows at the next poll.
    Monitor.objects.filter(pk=other.pk).update(state=Monitor.State.DOWN, state_changed_at=timezone.now())
    changed = poll(client, url, first["ETag"])
    assert changed.status_code == 200 and "1 of 2 monitors up" in text(changed)
    now = timezone.now()
    services.do_add_maintenance(actor, monitor=monitor, starts_at=now, ends_at=now + timedelta(hours=1))
    assert poll(client, url, changed["ETag"]).status_code == 200


def test_a_long_unbroken_name_and_target_are_allowed_to_wrap(web_clients, actor):
    monitor = services.do_create_monitor(actor, name="N" * 100, target="https://example.com/" + "a" * 400)
    page = text(web_clients["responder"].get(f"/monitors/{monitor.pk}/"))
    assert f'<h1 class="wrap-anywhere">{"N" * 100}</h1>' in page
    assert '<p class="incident-meta wrap-anywhere">' in page


def test_a_closed_port_test_fails_fast_without_leaving_the_machine(admin):
    response = admin.post(
        "/monitors/new/tcp/test/", {**NEW, "target": "127.0.0.1", "port": str(closed_port()), "timeout_seconds": "2"}
    )
    assert '<span class="badge down">Down</span>' in text(response)
