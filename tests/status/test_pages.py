"""The public pages: banner, components in groups, 90-day bars, incidents, maintenance, history, branding."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import StatusPageBranding
from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots
from incidents.models import Component, ComponentStatus
from incidents.services import do_declare
from monitoring.models import Monitor, Rollup
from monitoring.uptime import floor_day


def html(path: str = "index.html") -> str:
    return snapshots.rebuild().documents[path].body.decode()


def stylesheet(snapshot, page: str) -> str:
    """The stylesheet PAGE links to, from SNAPSHOT (the accent colour lives there: no inline <style>, for the CSP)."""
    href = re.search(r'<link rel="stylesheet" href="[^"]*?(assets/[^"]+\.css)"', page).group(1)
    return snapshot.documents[href].body.decode()


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    end = page.find("</section>", start)
    return page[start:end]


# --- Banner ------------------------------------------------------------------------------------------


def test_all_operational_says_so(api, website, public_client):
    page = public_client.get("/status/").content.decode()
    assert 'data-indicator="none"' in page
    assert "All Systems Operational" in page


def test_an_incident_turns_the_banner_and_names_what_is_affected(outage, website):
    page = html()
    assert 'data-indicator="major"' in page
    assert "Partial System Outage" in page
    assert "Affected now: Public API (partial outage)" in page


def test_a_degraded_component_without_a_public_incident_says_degraded(actor, api):
    do_declare(actor, title="internal: p99 latency up", components={api: "degraded_performance"})
    page = html()
    assert 'data-indicator="minor"' in page
    assert "Partially Degraded Service" in page
    assert "internal: p99 latency up" not in page  # no public update: the incident stays private


def test_a_major_outage_is_critical(actor, api):
    do_declare(actor, title="x", components={api: "major_outage"})
    assert "Major Service Outage" in html()


def test_maintenance_only_says_under_maintenance(actor, api):
    start = timezone.now() - timedelta(minutes=5)
    maintenance_services.do_schedule_maintenance(
        actor, title="Disk swap", message="Storage work.", components=[api], starts_at=start,
        ends_at=start + timedelta(hours=1),
    )  # fmt: skip
    page = html()
    assert "Service Under Maintenance" in page
    assert 'class="banner maint"' in page


# --- Components and bars ---------------------------------------------------------------------------


def test_components_are_listed_in_their_groups_with_their_status_in_words(outage, website, email_component):
    page = html()
    components = section(page, "components-h")
    assert components.index("Core platform") < components.index("Public API") < components.index("Website")
    assert components.index("Website") < components.index("Email delivery")  # ungrouped after the groups
    assert '<span class="status partial_outage">Partial outage</span>' in components
    assert '<span class="status operational">Operational</span>' in components
    assert "The REST API." in components


def test_a_private_component_is_not_listed(api):
    Component.objects.create(name="Billing internals", public=False)
    assert "Billing internals" not in html()


@pytest.fixture
def monitored_api(api):
    """Monitored for the last two days and today: 864 s down the first day, none the second."""
    today = floor_day(timezone.now())
    monitor = Monitor.objects.create(
        name="API health", target="https://api.example/health", component=api, created_at=today - timedelta(days=2)
    )
    for days_ago, down_seconds in ((2, 864.0), (1, 0.0)):
        Rollup.objects.create(
            monitor=monitor, period=Rollup.Period.DAY, start=today - timedelta(days=days_ago),
            monitored_seconds=86400.0, downtime_seconds=down_seconds,
        )  # fmt: skip
    return api


def bars_of(page: str, name: str) -> list[str]:
    start = page.index(f'<span class="name">{name}</span>')
    svg = page[page.index("<svg", start) : page.index("</svg>", start)]
    return re.findall(r"<rect [^>]*><title>([^<]*)</title></rect>", svg)


def test_bars_start_the_day_monitoring_began_each_with_its_uptime_and_incidents_in_words(monitored_api, outage):
    # Issue #15: bars began 90 days back, 88 of them grey "no data" before the monitor even existed.
    page = html()
    titles = bars_of(page, "Public API")
    assert len(titles) == 3
    today, yesterday, before = titles[-1], titles[-2], titles[-3]
    assert "99.00% uptime" in before and "No incidents" in before
    assert "100.00% uptime" in yesterday
    assert "Incidents: Elevated API errors" in today
    # Today has no rollup yet and the monitor has no verdict: grey, and it says why.
    assert "no data: nothing was monitored that day" in today
    day = floor_day(timezone.now()) - timedelta(days=2)
    assert before.startswith(f"{day.day} {day:%b %Y}:")
    assert page.count('tabindex="0" role="img"') >= 3
    period = f"since {day:%b} {day.day}, to {timezone.now():%b} {timezone.now().day}"
    assert f'aria-label="Uptime of Public API {period}: 99.50%"' in page
    assert f"99.50% uptime {period}" in page
    assert "Monitored since" in page


def test_a_bad_day_is_told_by_its_class_and_its_words(monitored_api):
    monitor = Monitor.objects.get()
    Rollup.objects.filter(monitor=monitor).update(downtime_seconds=43200.0)
    page = html()
    assert 'class="b-critical"' in page
    assert "50.00% uptime" in page


def test_a_component_without_monitors_says_so(website):
    assert "Not monitored" in html()


# --- Incidents and maintenance ------------------------------------------------------------------


def test_active_incidents_show_their_public_updates_newest_first(outage):
    active = section(html(), "active-h")
    assert "Elevated API errors" in active
    assert active.index("A bad deploy; rolling back.") < active.index("We are looking into errors on the API.")
    assert "Identified" in active and "Major impact" in active
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">', active)


def test_resolved_incidents_are_past_incidents_not_active(past_incident):
    page = html()
    assert 'id="active-h"' not in page
    assert "Slow website" in section(page, "past-h")


def test_upcoming_and_running_maintenance_are_shown(actor, api, website):
    soon = timezone.now() + timedelta(days=1)
    maintenance_services.do_schedule_maintenance(
        actor, title="Network upgrade", message="Brief packet loss.", components=[website], starts_at=soon,
        ends_at=soon + timedelta(hours=2),
    )  # fmt: skip
    now = timezone.now() - timedelta(minutes=1)
    maintenance_services.do_schedule_maintenance(
        actor, title="Database upgrade", message="Read-only for a while.", components=[api], starts_at=now,
        ends_at=now + timedelta(hours=1),
    )  # fmt: skip
    page = html()
    assert "Network upgrade" in section(page, "maint-next-h")
    assert "Brief packet loss." in section(page, "maint-next-h")
    running = section(page, "maint-now-h")
    assert "Database upgrade" in running and "In progress" in running
    assert '<span class="status under_maintenance">Under maintenance</span>' in page


def test_the_incident_page_has_every_public_update(outage, website):
    page = html(f"incidents/{outage.pk}/index.html")
    assert "<h1>Elevated API errors</h1>" in page
    assert page.index("A bad deploy") < page.index("We are looking")
    assert "Affects: Public API" in page
    assert 'href="../../assets/status.' in page  # relative: works under /status/ and on a static host


def test_the_maintenance_page_has_its_window_and_message(actor, api):
    soon = timezone.now() + timedelta(days=2)
    maintenance = maintenance_services.do_schedule_maintenance(
        actor, title="Network upgrade", message="Brief packet loss.", components=[api], starts_at=soon,
        ends_at=soon + timedelta(hours=2),
    )  # fmt: skip
    page = html(f"maintenance/m{maintenance.pk}/index.html")
    assert "Network upgrade" in page and "Brief packet loss." in page and "Scheduled for" in page


def test_history_lists_every_month_with_its_incidents(outage, past_incident, public_client):
    snapshots.rebuild()
    page = public_client.get("/status/history/").content.decode()
    month = timezone.now().strftime("%B %Y")
    assert f">{month}</h2>" in page
    assert page.count('class="month panel"') >= 12
    assert "Slow website" in page and "Elevated API errors" in page
    assert "No incidents reported this month." in page
    assert f'href="../incidents/{past_incident.pk}/"' in page


def test_times_are_utc_in_time_elements_the_browser_may_localise(outage):
    page = html()
    assert re.search(r'<time datetime="[\dT:-]+Z">\d+ \w{3} \d{4}, \d\d:\d\d UTC</time>', page)
    assert 'data-testid="taken-at">Last updated <time' in page
    assert "assets/status." in page and ".js" in page  # the script that localises them (optional)


def test_the_page_needs_no_script_and_fits_a_phone(outage):
    page = html()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<noscript" not in page
    # The only script is deferred enhancement; the content is all in the HTML.
    assert page.count("<script") == 1 and "defer" in page


# --- Branding ------------------------------------------------------------------------------------------


def test_branding_shows_on_every_page(outage):
    branding = StatusPageBranding.load()
    branding.name = "Acme Status"
    branding.logo_url = "https://cdn.acme.example/logo.svg"
    branding.accent_colour = "#aa3300"
    branding.footer_links = "Terms | https://acme.example/terms\nPrivacy | https://acme.example/privacy"
    branding.support_contact = "help@acme.example"
    branding.full_clean()
    branding.save()
    snapshot = snapshots.rebuild()
    for path in ("index.html", "history/index.html", f"incidents/{outage.pk}/index.html", "404.html"):
        page = snapshot.documents[path].body.decode()
        assert "Acme Status" in page
        assert '<img src="https://cdn.acme.example/logo.svg"' in page
        assert "--accent: #aa3300;" in stylesheet(snapshot, page) and "<style" not in page
        assert '<a href="https://acme.example/terms">Terms</a>' in page
        assert '<a href="mailto:help@acme.example">help@acme.example</a>' in page


def test_a_bad_accent_or_logo_saved_without_validation_cannot_reach_the_page(db):
    StatusPageBranding.objects.create(pk=1, accent_colour="</style", logo_url="javascript:alert(1)")
    snapshot = snapshots.rebuild()
    page = snapshot.documents["index.html"].body.decode()
    assert "</style" not in page and "javascript:" not in page
    assert "</style" not in stylesheet(snapshot, page)
    assert "--accent: #3056d3;" in stylesheet(snapshot, page)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("accent_colour", "red"),
        ("logo_url", "ftp://example.com/logo.png"),
        ("footer_links", "Terms https://example.com"),
        ("footer_links", "Terms | javascript:alert(1)"),
        ("support_contact", "not an address"),
    ],
)
def test_branding_refuses_bad_values(db, field, value):
    from django.core.exceptions import ValidationError

    branding = StatusPageBranding.load()
    setattr(branding, field, value)
    with pytest.raises(ValidationError):
        branding.full_clean()


def test_the_branding_row_is_one(db):
    first = StatusPageBranding.load()
    again = StatusPageBranding(name="Another")
    again.save()
    assert StatusPageBranding.objects.count() == 1
    assert StatusPageBranding.objects.get().page_id == first.page_id


def test_the_component_status_words_are_statuspages(db):
    assert [s.value for s in ComponentStatus] == [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ]
