"""The reports' charts are legible (issue #15: 320 px wide with 11 px labels): at least 600 px wide on a
desktop, no label under 12 px, and on a phone they scroll sideways inside their panel, not the page."""

from tests.browser_harness import PHONE, login
from tests.postmortems.test_report_figures import history, utc  # noqa: F401 (fixtures)

MARCH_TO_MAY = "/postmortems/reports/?from=2026-03-01&to=2026-05-31"
# The smallest rendered size of each chart's texts: font size in the SVG's units times its scale on screen.
SMALLEST_TEXT = """
svg => Math.min(...[...svg.querySelectorAll('text')].map(
  t => parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a))
"""


def charts_of(page, live_server, viewer):
    login(page, live_server, viewer)
    page.goto(f"{live_server.url}{MARCH_TO_MAY}")
    charts = page.locator("svg.chart").all()
    assert len(charts) == 3
    return charts


def test_on_a_desktop_each_chart_is_wide_and_its_labels_at_least_12_px(history, viewer, page, live_server):  # noqa: F811
    for chart in charts_of(page, live_server, viewer):
        assert chart.bounding_box()["width"] >= 600, chart.get_attribute("id")
        assert chart.evaluate(SMALLEST_TEXT) >= 12, chart.get_attribute("id")
        figure = chart.locator("xpath=..")
        assert figure.evaluate("f => f.scrollWidth <= f.clientWidth + 1")  # it fits: no sideways scroll here
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.js_errors == []


def test_on_a_phone_the_charts_keep_their_size_and_scroll_inside_their_panel(history, viewer, phone_page, live_server):  # noqa: F811
    page = phone_page
    for chart in charts_of(page, live_server, viewer):
        assert chart.evaluate(SMALLEST_TEXT) >= 12, chart.get_attribute("id")
        figure = chart.locator("xpath=..")
        assert figure.evaluate("f => getComputedStyle(f).overflowX") == "auto"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []
