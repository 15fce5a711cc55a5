"""The status page's outage banner and status words are readable in light and dark, on desktop and phone
(issue #15: white on light red and light green in dark mode, about 2.5:1). WCAG AA asks 4.5:1."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots
from incidents.services import do_declare
from tests.contrast import contrast

pytestmark = pytest.mark.browser

AA = 4.5


def declare(actor, component, status):
    do_declare(actor, title="Private title", components={component: status})


def maintenance(actor, component):
    start = timezone.now() - timedelta(minutes=5)
    maintenance_services.do_schedule_maintenance(
        actor, title="Disk swap", message="Storage work.", components=[component], starts_at=start,
        ends_at=start + timedelta(hours=1),
    )  # fmt: skip


STATES = {
    "none": lambda actor, api: None,
    "minor": lambda actor, api: declare(actor, api, "degraded_performance"),
    "major": lambda actor, api: declare(actor, api, "partial_outage"),
    "critical": lambda actor, api: declare(actor, api, "major_outage"),
    "maint": maintenance,
}


def check_readable(page, url: str) -> list[str]:
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(url)
        banner = page.get_by_test_id("banner")
        ratio = contrast(banner)
        if ratio < AA:
            problems.append(f"{scheme} banner: {ratio:.2f}")
        for status in page.locator("[data-testid=component] .status").all():
            ratio = contrast(status)
            if ratio < AA:
                problems.append(f"{scheme} status word {status.inner_text()!r}: {ratio:.2f}")
    assert page.js_errors == []
    return problems


@pytest.mark.parametrize("state", list(STATES))
def test_the_banner_and_status_words_read_at_4_5_to_1_in_light_and_dark(state, actor, api, page, live_server):
    STATES[state](actor, api)
    snapshots.rebuild()
    assert check_readable(page, f"{live_server.url}/status/") == []


def test_on_a_phone_in_dark_mode_the_outage_banner_reads_too(actor, api, phone_page, live_server):
    declare(actor, api, "major_outage")
    snapshots.rebuild()
    assert check_readable(phone_page, f"{live_server.url}/status/") == []
    assert "Major Service Outage" in phone_page.get_by_test_id("banner").inner_text()
