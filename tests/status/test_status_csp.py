"""The status page's Content-Security-Policy: its snapshot documents (answered by a middleware early in the
stack) and its sign-up pages carry the same strict policy as the dashboard, and need nothing it refuses."""

import pytest

from comms.status import snapshot as snapshots
from tests.test_csp import assert_no_inline_code, assert_strict, policy


@pytest.mark.parametrize(
    "path",
    ["/status/", "/status/history/", "/status/incidents/{outage}/", "/status/no-such-page/", "/status/subscribe/"],
)
def test_every_status_page_carries_a_strict_policy(outage, past_incident, public_client, settings, path):
    snapshots.rebuild()
    response = public_client.get(path.format(outage=outage.pk))
    assert response.status_code in (200, 404), path
    assert_strict(response, settings)
    assert_no_inline_code(response.content.decode())


def test_the_snapshot_json_carries_it_too(outage, public_client, settings):
    snapshots.rebuild()
    response = public_client.get("/api/v2/summary.json")
    assert response.status_code == 200
    assert policy(response)["default-src"] == ["'self'"]


def test_the_sign_up_form_may_post_to_vigil_from_the_page_wherever_it_is_served(outage, public_client, settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    snapshots.rebuild()
    response = public_client.get("/status/")
    assert 'action="https://vigil.example.com/status/subscribe/"' in response.content.decode()
    assert "https://vigil.example.com" in policy(response)["form-action"]
