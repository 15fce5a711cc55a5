"""The component page shows how many of the monitors backing each component are up."""

from incidents.models import Component
from monitoring.models import Monitor


def test_component_page_shows_n_of_m_monitors_up(client, viewer):
    component = Component.objects.create(name="Checkout")
    Component.objects.create(name="Search")
    for name, state in [("east", "up"), ("west", "down"), ("north", "degraded"), ("old", "paused")]:
        Monitor.objects.create(name=name, target="https://example.com/", component=component, state=state)
    client.force_login(viewer)
    page = client.get("/incidents/components/").content.decode()
    assert "2 of 3 up" in page  # the paused monitor is not counted
    assert page.count('data-testid="redundancy"') == 1  # Search has no monitors
