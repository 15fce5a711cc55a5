"""The monitoring dashboard: list, monitor page, forms for every kind, actions, and the cost of a page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Component
from monitoring import services
from monitoring.models import CheckResult, MaintenanceWindow, Monitor, RedundancyGroup, StateChange
from vigil.audit import Actor

State = Monitor.State


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def admin(web_clients):
    return web_clients["admin"]


def make(actor, name="Home", **values):
    values.setdefault("target", "https://example.com/")
    return services.do_create_monitor(actor, name=name, **values)


def add_results(monitor, count, failed_every=0, latency=120.0):
    start = timezone.now() - timedelta(minutes=count)
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor,
            checked_at=start + timedelta(minutes=n),
            outcome=CheckResult.Outcome.DOWN if failed_every and n % failed_every == 0 else CheckResult.Outcome.UP,
            latency_ms=latency + n,
            reason="HTTP 503 (expected 200-299)" if failed_every and n % failed_every == 0 else "",
        )
        for n in range(count)
    )


def text(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- list


def test_the_list_shows_state_in_words_uptime_a_sparkline_and_the_last_failure(web_clients, actor):
    monitor = make(actor, component=Component.objects.create(name="Checkout"))
    add_results(monitor, 40, failed_every=10)
    Monitor.objects.filter(pk=monitor.pk).update(
        state=State.DOWN, last_failure_reason="HTTP 503 (expected 200-299)", last_failure_at=timezone.now()
    )
    page = text(web_clients["viewer"].get("/monitors/"))
    assert '<span class="badge down" data-testid="monitor-state">Down</span>' in page
    assert "HTTP 503 (expected 200-299)" in page and "Checkout" in page
    svg = re.search(r'<svg class="sparkline" role="img" aria-label="([^"]+)"', page)
    assert svg and svg.group(1) == "Response time of the last 30 checks: 131 ms to 159 ms, latest 159 ms. 3 failed."
    assert "1 down" in page  # the state counts


def test_the_list_filters_by_state_kind_component_and_search(web_clients, actor):
    api = Component.objects.create(name="API")
    make(actor, "API health", component=api, target="https://api.example.com/healthz")
    make(actor, "Database port", kind="tcp", target="db.internal", port=5432)
    backup = services.do_create_monitor(actor, name="Nightly backup", kind="heartbeat")
    services.do_pause(actor, backup)
    viewer = web_clients["viewer"]

    def names(query):
        return re.findall(r'<a href="/monitors/\d+/">([^<]+)</a>', text(viewer.get("/monitors/", query)))

    assert names({}) == ["API health", "Database port", "Nightly backup"]
    assert names({"state": "paused"}) == ["Nightly backup"]
    assert names({"kind": "tcp"}) == ["Database port"]
    assert names({"component": api.pk}) == ["API health"]
    assert names({"q": "api.example"}) == []  # a viewer sees targets masked: a search does not spell them out
    responder = web_clients["responder"]
    assert re.findall(
        r'<a href="/monitors/\d+/">([^<]+)</a>', text(responder.get("/monitors/", {"q": "api.example"}))
    ) == ["API health"]
    assert names({"q": "backup", "kind": "heartbeat"}) == ["Nightly backup"]
    # A bad value in the URL is ignored, not an error.
    assert names({"state": "exploded", "component": "x"}) == ["API health", "Database port", "Nightly backup"]
    assert "No monitor matches these filters." in text(viewer.get("/monitors/", {"q": "nothing like it"}))
    # The dashboard's "Monitors down" panel reads this list filtered on down: it says so in words.
    assert "No monitor is down." in text(viewer.get("/monitors/", {"state": "down", "partial": "1"}))


def test_the_rows_refresh_alone(web_clients, actor):
    make(actor)
    rows = text(web_clients["viewer"].get("/monitors/?partial=1&kind=http"))
    assert rows.lstrip().startswith('<tr data-testid="monitor-row">') and "<h1>" not in rows
    page = text(web_clients["viewer"].get("/monitors/?kind=http"))
    assert 'data-live="?kind=http&amp;partial=1"' in page


MANY = 10_000


def fill(count: int, start: int = 0) -> None:
    states = [State.UP, State.UP, State.UP, State.DEGRADED, State.DOWN, State.PAUSED]
    Monitor.objects.bulk_create(
        (
            Monitor(name=f"Monitor {n:05d}", target=f"https://s{n}.example.com/", state=states[n % len(states)])
            for n in range(start, start + count)
        ),
        batch_size=2_000,
    )


def test_a_page_costs_the_same_queries_with_10000_monitors(web_clients, django_assert_max_num_queries):
    fill(150)
    first_page = list(Monitor.objects.order_by("name", "id")[:100])
    for monitor in first_page:
        add_results(monitor, 40, failed_every=7)
    viewer = web_clients["viewer"]
    viewer.get("/monitors/")  # session and permissions warm, as on any later page
    with django_assert_max_num_queries(21) as small:  # one of them: which are managed by config (vigil.managed)
        assert viewer.get("/monitors/").status_code == 200

    fill(MANY - 150, start=150)
    assert Monitor.objects.count() == MANY
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = text(viewer.get("/monitors/"))
    assert "Page 1 of 100 · 10000 monitors" in page
    assert page.count('data-testid="monitor-row"') == 100
    assert page.count('<svg class="sparkline"') == 100
    sparkline_queries = [q for q in large.captured_queries if "UNION ALL" in q["sql"]]
    assert len(sparkline_queries) == 1
    with django_assert_max_num_queries(len(small.captured_queries)):
        filtered = text(viewer.get("/monitors/", {"state": "down", "q": "Monitor", "page": 3}))
    assert "Page 3 of 17" in filtered


# --------------------------------------------------------------------------- monitor page


def test_the_monitor_page_shows_chart_history_failures_and_dependencies(web_clients, actor):
    database = make(actor, "Database")
    api = make(actor, "API", parents=[database])
    make(actor, "Site", parents=[api])
    add_results(api, 120, failed_every=25)
    StateChange.objects.create(monitor=api, from_state=State.PENDING, to_state=State.UP)
    StateChange.objects.create(monitor=api, from_state=State.UP, to_state=State.DOWN, reason="HTTP 503")
    page = text(web_clients["viewer"].get(f"/monitors/{api.pk}/"))
    assert re.search(rf'<svg class="chart" role="img" aria-labelledby="rt{api.pk}-title rt{api.pk}-desc"', page)
    assert "Response time, last 24 hours</title>" in page
    assert "120 checks, 5 failed" in page  # the chart's summary in words
    assert "Up → Down" in page and "HTTP 503" in page
    assert page.count("HTTP 503 (expected 200-299)") == 5  # recent failures
    depends_on = page.split("Depends on:")[1].split("</p>")[0]
    needed_by = page.split("Needed by:")[1].split("</p>")[0]
    assert "Database" in depends_on and "Site" in needed_by
    assert re.search(r"Expected status codes</dt><dd[^>]*>200-299</dd>", page)
    # A viewer sees no buttons.
    assert "Test now" not in page and "Pause" not in page


def test_the_monitor_page_shows_how_many_of_its_components_monitors_are_up(web_clients, actor):
    api = Component.objects.create(name="API")
    # Redundancy is declared (a group), as the data migration declares it for monitors sharing a component.
    group = RedundancyGroup.objects.create(name="API replicas")
    replicas = [make(actor, f"Replica {n}", component=api, redundancy_group=group) for n in range(3)]
    Monitor.objects.filter(pk=replicas[0].pk).update(state=State.DOWN)
    page = text(web_clients["viewer"].get(f"/monitors/{replicas[1].pk}/"))
    block = page.split('data-testid="redundancy"')[1].split("</section>")[0]
    assert "2 of 3 monitors up</span> backing API" in block and "Redundancy lost" in block
    alone = make(actor, "Unattached")
    assert 'data-testid="redundancy"' not in text(web_clients["viewer"].get(f"/monitors/{alone.pk}/"))


def test_a_heartbeat_page_gives_absolute_ping_urls_and_curl_lines(web_clients, actor, settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    monitor = services.do_create_monitor(actor, name="Backup", kind="heartbeat")
    # The ping URL is a credential, for admins and responders (vigil.privacy); this test read it as a viewer.
    assert str(monitor.ping_token) not in text(web_clients["viewer"].get(f"/monitors/{monitor.pk}/"))
    page = text(web_clients["responder"].get(f"/monitors/{monitor.pk}/"))
    ping = f"https://vigil.example.com/ping/{monitor.ping_token}"
    assert f"curl -fsS -m 10 --retry 5 -o /dev/null {ping}\n" in page or f"-o /dev/null {ping}</pre>" in page
    assert f"{ping}/start" in page and f"{ping}/fail" in page
    assert "No ping yet." in page and "Test now" not in page


def test_maintenance_windows_show_on_the_monitor_page(web_clients, actor):
    api = Component.objects.create(name="API")
    monitor = make(actor, component=api)
    now = timezone.now()
    services.do_add_maintenance(actor, monitor=monitor, starts_at=now, ends_at=now + timedelta(hours=1), reason="Now")
    services.do_add_maintenance(
        actor, component=api, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2), reason="Soon"
    )
    page = text(web_clients["viewer"].get(f"/monitors/{monitor.pk}/"))
    windows = page.split('data-testid="maintenance-windows"')[1].split("</ul>")[0]
    assert "Now" in windows and "Soon" in windows and "(all of API)" in windows


def test_an_unknown_monitor_is_404(web_clients):
    assert web_clients["viewer"].get("/monitors/999/").status_code == 404


# --------------------------------------------------------------------------- forms

COMMON = {
    "name": "New monitor",
    "component": "",
    "severity": "sev2",
    "escalation_policy": "",
}
SCHEDULE = {
    "interval_seconds": "60",
    "timeout_seconds": "10",
    "retry_interval_seconds": "5",
    "failure_threshold": "2",
    "recovery_threshold": "2",
}
VALID = {
    "http": {
        **SCHEDULE,
        "target": "https://example.com/health",
        "method": "GET",
        # Headers are rows of name and value now (a formset), not JSON typed into a box.
        "headers-TOTAL_FORMS": "2",
        "headers-INITIAL_FORMS": "0",
        "headers-0-name": "Accept",
        "headers-0-value": "text/html",
        "headers-1-name": "",
        "headers-1-value": "",
        "body": "",
        "follow_redirects": "on",
        "verify_tls": "on",
        "expected_status": "200-299",
        "keyword": "OK",
        "degraded_after_ms": "800",
    },
    "tcp": {**SCHEDULE, "target": "db.internal", "port": "5432"},
    "tls": {
        **SCHEDULE,
        "target": "example.com",
        "port": "",
        "warn_days": "21",
        "fail_days": "7",
        "check_hostname": "on",
    },
    "dns": {**SCHEDULE, "target": "example.com", "record_type": "MX", "expected_value": "", "resolver": "9.9.9.9"},
    "heartbeat": {"period_seconds": "86400", "grace_seconds": "3600", "cron": "", "cron_timezone": "UTC"},
}
INVALID = {
    "http": ({"target": "example.com/health"}, "target", "Must start with http:// or https://."),
    "tcp": ({"port": ""}, "port", "This field is required."),
    "tls": ({"warn_days": "3"}, "warn_days", "Must be at least fail_days."),
    "dns": ({"resolver": "dns.google"}, "resolver", "Must be an IP address with an optional port."),
    "heartbeat": ({"cron": "0 3 * *"}, "cron", "is not a cron expression of five fields"),
}


@pytest.mark.parametrize("kind", list(VALID))
def test_each_kind_has_its_own_form_that_creates_the_monitor(admin, kind):
    form = text(admin.get(f"/monitors/new/{kind}/"))
    assert ('name="expected_status"' in form) == (kind == "http")
    assert ('name="cron"' in form) == (kind == "heartbeat")
    assert ('name="interval_seconds"' in form) == (kind != "heartbeat")
    assert ('name="port"' in form) == (kind in ("tcp", "tls"))
    response = admin.post(f"/monitors/new/{kind}/", {**COMMON, **VALID[kind]})
    monitor = Monitor.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/monitors/{monitor.pk}/"
    assert (monitor.kind, monitor.name, monitor.state) == (kind, "New monitor", State.PENDING)
    assert monitor.next_check_at is not None
    if kind == "http":
        assert (monitor.headers, monitor.keyword, monitor.degraded_after_ms) == ({"Accept": "text/html"}, "OK", 800)
    if kind == "dns":
        assert (monitor.record_type, monitor.resolver) == ("MX", "9.9.9.9")


@pytest.mark.parametrize("kind", list(INVALID))
def test_each_kind_reports_a_bad_setting_next_to_its_field(admin, kind):
    change, field, message = INVALID[kind]
    response = admin.post(f"/monitors/new/{kind}/", {**COMMON, **VALID[kind], **change})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    page = text(response)
    assert f'id="id_{field}_error"' in page or 'class="errorlist' in page
    assert not Monitor.objects.exists()


def test_the_form_refuses_what_the_probe_engine_refuses(admin):
    # The header is refused beside its row's name (it was the JSON box's error before).
    bad_header = admin.post("/monitors/new/http/", {**COMMON, **VALID["http"], "headers-0-name": "Bad Header"})
    assert "'Bad Header' is not a valid header name" in bad_header.context["form"].header_rows.errors[0]["name"][0]
    head = admin.post("/monitors/new/http/", {**COMMON, **VALID["http"], "method": "HEAD"})
    assert head.context["form"].errors["keyword"] == ["Cannot be checked on a HEAD request."]
    # There is no JSON box any more to type badly (the old "Enter a valid JSON."): a value that would
    # split the request is refused beside it instead.
    split = admin.post("/monitors/new/http/", {**COMMON, **VALID["http"], "headers-0-value": "a\r\nX-Injected: 1"})
    assert split.context["form"].header_rows.errors[0]["value"] == ["The value of Accept has a line break."]
    assert not Monitor.objects.exists()


def test_an_unknown_kind_is_404(admin):
    assert admin.get("/monitors/new/smtp/").status_code == 404
    assert "Heartbeat" in text(admin.get("/monitors/new/"))


def test_editing_keeps_the_kind_and_the_state(admin, actor):
    monitor = make(actor)
    Monitor.objects.filter(pk=monitor.pk).update(state=State.DOWN)
    form = text(admin.get(f"/monitors/{monitor.pk}/edit/"))
    assert 'value="https://example.com/"' in form
    response = admin.post(
        f"/monitors/{monitor.pk}/edit/", {**COMMON, **VALID["http"], "name": "Renamed", "parents": []}
    )
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert (monitor.name, monitor.kind, monitor.state, monitor.target) == (
        "Renamed",
        "http",
        State.DOWN,
        "https://example.com/health",
    )
    bad = admin.post(f"/monitors/{monitor.pk}/edit/", {**COMMON, **VALID["http"], "interval_seconds": "3"})
    assert bad.status_code == 400 and "interval_seconds" in bad.context["form"].errors


def test_a_dependency_loop_is_a_form_error(admin, actor):
    parent = make(actor, "Parent")
    child = make(actor, "Child", parents=[parent])
    response = admin.post(f"/monitors/{parent.pk}/edit/", {**COMMON, **VALID["http"], "parents": [child.pk]})
    assert response.status_code == 400
    assert "cannot depend on itself" in response.context["form"].errors["parents"][0]


# --------------------------------------------------------------------------- actions


def test_a_responder_pauses_and_resumes_from_the_page(web_clients, actor):
    monitor = make(actor)
    responder = web_clients["responder"]
    page = text(responder.get(f"/monitors/{monitor.pk}/"))
    assert "Pause" in page and "Test now" in page and "Delete" not in page
    responder.post(f"/monitors/{monitor.pk}/pause/")
    monitor.refresh_from_db()
    assert monitor.state == State.PAUSED
    page = text(responder.get(f"/monitors/{monitor.pk}/"))
    assert "Paused: no checks and no alerts" in page and "Resume" in page
    again = responder.post(f"/monitors/{monitor.pk}/pause/", follow=True)
    assert "is paused already" in text(again)
    responder.post(f"/monitors/{monitor.pk}/resume/")
    monitor.refresh_from_db()
    assert monitor.state == State.PENDING


def test_test_now_shows_the_result_on_the_page_at_once(admin, actor, servers):
    monitor = make(actor, target=servers.url("/status/503"))
    # The post redirects to the monitor's page, which shows the result once (post/redirect/get).
    response = admin.post(f"/monitors/{monitor.pk}/test/", follow=True)
    assert response.status_code == 200
    result = text(response).split('data-testid="test-result"')[1].split("</section>")[0]
    assert '<span class="badge down">Down</span>' in result and "HTTP 503" in result
    assert "HTTP 503 (expected 200-299)" in result
    assert not CheckResult.objects.exists()
    assert admin.get(f"/monitors/{monitor.pk}/test/").status_code == 405


def test_delete_asks_first(admin, actor):
    monitor = make(actor)
    assert "Delete Home?" in text(admin.get(f"/monitors/{monitor.pk}/delete/"))
    assert Monitor.objects.exists()
    response = admin.post(f"/monitors/{monitor.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/monitors/"
    assert not Monitor.objects.exists()


def test_planning_maintenance_from_the_page(web_clients, actor):
    monitor = make(actor, component=Component.objects.create(name="API"))
    responder = web_clients["responder"]
    url = f"/monitors/{monitor.pk}/maintenance/"
    data = {"starts_at": "2030-01-01T02:00", "ends_at": "2030-01-01T03:00", "scope": "component", "reason": "Upgrade"}
    assert responder.post(url, data).status_code == 302
    window = MaintenanceWindow.objects.get()
    assert (window.component, window.monitor, window.reason) == (monitor.component, None, "Upgrade")
    bad = responder.post(url, {**data, "ends_at": "2030-01-01T01:00"})
    assert bad.status_code == 400
    assert "The window must end after it starts." in bad.context["maintenance_form"].errors["ends_at"]
    too_long = responder.post(url, {**data, "ends_at": "2030-03-01T01:00"})
    assert "A window lasts at most 31 days." in too_long.context["maintenance_form"].errors["ends_at"]
    assert MaintenanceWindow.objects.count() == 1
