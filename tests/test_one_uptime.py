"""One number, one function (issue #15): the reports said 100% uptime for Website while the status page
said 99.56% for the same period. A known history gives the same figure, with its period, on the status
page, in the reports and on the monitor's page, all read by monitoring.uptime."""

import re
from datetime import UTC, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from comms.status import snapshot as snapshots
from incidents.models import Component
from monitoring import rollups
from monitoring.models import Monitor, StateChange


@pytest.fixture
def history(db, settings, tmp_path):
    """Website, monitored for six days and six hours (inside the raw results' week, so all rolled up):
    down one hour three days ago, up the rest. 1 - 3,600 / 540,000 s = 99.333%: "99.33%" wherever it
    is shown."""
    settings.VIGIL_STATUS_DIR = str(tmp_path / "status")
    snapshots._held.reset()
    cache.delete(rollups.ROLLED_UNTIL_KEY)
    now = timezone.now()
    created = now - timedelta(days=6, hours=6)
    website = Component.objects.create(name="Website")
    monitor = Monitor.objects.create(
        name="Website health", target="https://www.example/health", component=website, created_at=created, state="up"
    )
    down_at = now - timedelta(days=3)
    for at, from_state, to_state in [
        (created, "pending", "up"),
        (down_at, "up", "down"),
        (down_at + timedelta(hours=1), "down", "up"),
    ]:
        StateChange.objects.create(monitor=monitor, at=at, from_state=from_state, to_state=to_state)
    rollups.roll_up(now=now, since=created)
    return monitor


def day_words(at) -> str:
    """ "Dec 4", as figures' periods name a UTC day."""
    at = at.astimezone(UTC)
    return f"{at:%b} {at.day}"


def status_page_figure() -> str:
    """The figure under Website's bars on the status page, with the words that follow it."""
    page = snapshots.rebuild().documents["index.html"].body.decode()
    row = page[page.index('<span class="name">Website</span>') :]
    row = row[row.index('class="scale"') : row.index("</li>")]  # the figure under the bars
    return re.search(r"(\d+\.\d\d% uptime[^<]*)<", row).group(1).strip()


def cell(html: str, table_testid: str, row_header: str | None, column: str) -> str:
    table = re.search(rf'data-testid="{table_testid}">(.*?)</table>', html, re.S).group(1)
    head = table.split("</thead>")[0]
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head)]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    for row in rows:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if row_header is None or cells[0] == row_header:
            return cells[headings.index(column)]
    raise AssertionError(f"no row {row_header!r} in {table_testid}")


def test_the_status_page_the_report_and_the_monitor_page_show_one_figure(history, web_clients):
    shown = status_page_figure()
    report = web_clients["viewer"].get("/postmortems/reports/").content.decode()
    monitor_page = web_clients["viewer"].get(f"/monitors/{history.pk}/").content.decode()

    in_report = cell(report, "report-uptime", "Website", "Uptime 90 d (%)")
    on_monitor_page = cell(monitor_page, "uptime", None, "90 days")
    assert shown.startswith("99.33% uptime"), shown
    assert in_report == "99.33%"
    assert on_monitor_page == "99.33%"
    # Each with its period: the status page's since monitoring began, the report's in its table's title.
    today = day_words(timezone.now())
    began = day_words(history.created_at)
    assert shown == f"99.33% uptime since {began}, to {today}"
    assert f"Uptime against each component&#x27;s SLO, over the last 30 and 90 days, to {today}" in report


def test_a_figure_that_began_today_says_today_not_since_today_to_today():
    from vigil.figures import period_words

    now = timezone.now()
    began = now.replace(hour=0, minute=30) if now.hour else now
    assert period_words(now - timedelta(days=90), now, began=began) == "today"
    assert period_words(now - timedelta(days=90), now, began=now - timedelta(days=2)).startswith("since ")
