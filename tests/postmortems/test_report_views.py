"""The reports page, its CSV downloads and the reports API."""

import csv
import io
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import Rollup
from monitoring.uptime import floor_day
from tests.postmortems.test_report_figures import history, utc  # noqa: F401 (fixtures)

MARCH_TO_MAY = {"from": "2026-03-01", "to": "2026-05-31"}


def test_the_page_shows_the_period_s_figures_charts_and_csv_links(web_clients, history):  # noqa: F811
    yesterday = floor_day(timezone.now()) - timedelta(days=1)
    Rollup.objects.create(
        monitor=history["api-http"], period="day", start=yesterday, monitored_seconds=86400, downtime_seconds=864
    )
    response = web_clients["viewer"].get("/postmortems/reports/", MARCH_TO_MAY)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="stat" data-testid="incident-total">4</div>' in html
    assert '<div class="stat" data-testid="mtta">10.83 min</div>' in html
    assert '<div class="stat" data-testid="mttr">70.0 min</div>' in html
    # Charts: inline SVG named and described, the numbers in words as well as bars.
    assert 'role="img" aria-labelledby="chart-monthly-title chart-monthly-desc"' in html
    assert '<title id="chart-monthly-title">MTTA and MTTR per month</title>' in html
    assert "2026-03: MTTA 11.2, MTTR 90" in html  # the chart's description
    assert '<title id="chart-severity-title">Incidents by severity</title>' in html
    # The period beside the figure (issue #15): "over the last 30 days, to Dec 4".
    end = timezone.now()
    assert (
        f'<title id="chart-uptime-30-title">Uptime over the last 30 days, to {end:%b} {end.day}, against SLO</title>'
        in html
    )
    assert "<script" not in html.split("<h1>Reports</h1>")[1]  # no chart library
    assert "api: 99.000% (SLO 99.900%, below SLO)" in html  # the uptime chart says it in words
    charts = re.findall(r"<svg class=\"chart\".*?</svg>", html, re.S)
    assert len(charts) == 3
    for chart in charts:  # well-formed, each bar labelled in words
        svg = ElementTree.fromstring(chart)  # noqa: S314 (our own output)
        bars = [rect for rect in svg.iter("rect") if rect.find("title") is not None]
        assert bars and all(rect.find("title").text for rect in bars)
    for key in ["summary", "monthly", "severity", "components", "sources", "monitors", "alerts", "action_items"]:
        assert f"format=csv&amp;table={key}" in html
        assert f'data-testid="report-{key}"' in html
    assert 'data-testid="report-uptime"' in html


def test_a_table_downloads_as_csv_for_the_same_period(web_clients, history):  # noqa: F811
    response = web_clients["viewer"].get("/postmortems/reports/", {**MARCH_TO_MAY, "format": "csv", "table": "monthly"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="vigil-monthly-2026-03-01-2026-05-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["month", "incidents", "acknowledged", "resolved", "mtta_minutes", "mttr_minutes"],
        ["2026-03", "2", "2", "2", "11.25", "90.0"],
        ["2026-04", "1", "0", "1", "", "30.0"],
        ["2026-05", "1", "1", "0", "10.0", ""],
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"days": "7"}, "days must be one of 30, 90, 365."),
        ({"from": "2026-03-01"}, "Give both a start and an end date."),
        ({"from": "2026-05-01", "to": "2026-03-01"}, "The end date is before the start date."),
        ({"from": "yesterday", "to": "2026-03-01"}, "is not a date"),
    ],
)
def test_a_bad_period_is_refused_with_the_reason(web_clients, api_clients, db, query, message):
    page = web_clients["viewer"].get("/postmortems/reports/", query)
    assert page.status_code == 400
    assert message in page.content.decode()
    api = api_clients["viewer"].get("/api/v1/reports/", query)
    assert api.status_code == 400
    assert message in api.content.decode()


def test_an_unknown_csv_table_is_a_400(web_clients, db):
    response = web_clients["viewer"].get("/postmortems/reports/", {"format": "csv", "table": "secrets"})
    assert response.status_code == 400
    assert b"table must be one of summary" in response.content


def test_the_api_gives_every_table(api_clients, history):  # noqa: F811
    body = api_clients["viewer"].get("/api/v1/reports/", MARCH_TO_MAY).json()
    assert body["period"]["label"] == "01 Mar 2026 to 31 May 2026"
    assert body["period"]["start"] == "2026-03-01T00:00:00Z"
    assert body["period"]["end"] == "2026-06-01T00:00:00Z"
    assert body["summary"] == {
        "incidents": 4,
        "acknowledged": 3,
        "resolved": 3,
        "mtta_minutes": 10.83,
        "mttr_minutes": 70.0,
    }
    assert [row["incidents"] for row in body["severity"]] == [2, 1, 1, 0]
    assert body["monitors"][0] == {"monitor": "api-http", "downs": 3, "incidents": 2}
    assert body["alerts"][0]["received"] == 10
    assert {row["outcome"]: row["items"] for row in body["action_items"]}["Completed late"] == 1
    assert [row["component"] for row in body["uptime"]] == ["api", "db", "web"]
    windowed = ["uptime_{}d_pct", "downtime_{}d_minutes", "budget_{}d_minutes", "budget_left_{}d_minutes"]
    windowed.append("budget_left_{}d_pct")
    expected = {"component", "slo_pct"} | {name.format(days) for days in (30, 90) for name in windowed}
    assert set(body["uptime"][0]) == expected


def test_the_api_gives_one_table_as_json_or_csv(api_clients, history):  # noqa: F811
    client = api_clients["responder"]
    table = client.get("/api/v1/reports/sources/", MARCH_TO_MAY).json()
    assert table["key"] == "sources"
    assert table["columns"] == [
        {"field": "source", "heading": "Source"},
        {"field": "incidents", "heading": "Incidents"},
    ]
    assert table["rows"][1] == {"source": "Monitor", "incidents": 2}
    response = client.get("/api/v1/reports/sources/", {**MARCH_TO_MAY, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        "source,incidents",
        "Manual,1",
        "Monitor,2",
        "Alert,1",
        "Reputation,0",
    ]
    assert client.get("/api/v1/reports/nope/").status_code == 404
    refused = client.get("/api/v1/reports/nope/", {"format": "csv"})
    assert (refused.status_code, refused["Content-Type"]) == (404, "application/json")
    refused = client.get("/api/v1/reports/sources/", {"format": "csv", "days": "7"})
    assert (refused.status_code, refused["Content-Type"]) == (400, "application/json")
    assert refused.json()["errors"][0]["attr"] == "period"


def test_the_api_costs_the_same_queries_however_many_incidents(api_clients, history):  # noqa: F811
    from tests.postmortems.test_report_figures import at, incident

    client = api_clients["viewer"]
    client.get("/api/v1/reports/", MARCH_TO_MAY)  # warm the key's user cache
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/reports/", MARCH_TO_MAY)
    for n in range(20):
        incident("sev1", "manual", at(4, 1 + n), None, None)
    with CaptureQueriesContext(connection) as large:
        body = client.get("/api/v1/reports/", MARCH_TO_MAY).json()
    assert body["summary"]["incidents"] == 24
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_component_slo_is_read_and_set_through_the_api(api_clients, db):
    created = api_clients["admin"].post("/api/v1/components/", {"name": "search"}, format="json").json()
    assert created["slo"] == "99.900"
    changed = api_clients["admin"].patch(f"/api/v1/components/{created['id']}/", {"slo": "99.95"}, format="json")
    assert changed.json()["slo"] == "99.950"
    refused = api_clients["admin"].patch(f"/api/v1/components/{created['id']}/", {"slo": "100.5"}, format="json")
    assert refused.status_code == 400


def test_the_component_slo_shows_on_the_components_page_and_is_edited_in_the_admin(web_clients, db):
    from incidents.models import Component

    component = Component.objects.create(name="search", slo="99.950")
    assert '<td data-testid="slo">99.950%</td>' in web_clients["viewer"].get("/incidents/components/").content.decode()
    form = web_clients["admin"].get(f"/admin/incidents/component/{component.pk}/change/").content.decode()
    assert 'name="slo"' in form
