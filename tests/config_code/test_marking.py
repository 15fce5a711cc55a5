"""A monitor the files manage says so on its page and its form; one made in the dashboard does not."""

from config_code.apply import apply_loaded
from monitoring.models import Monitor
from monitoring.services import do_create_monitor
from vigil.audit import Actor

from .conftest import loaded


def test_the_monitor_page_and_form_say_managed_by_config_with_the_key(web_clients):
    apply_loaded(loaded())
    managed = Monitor.objects.get(name="Checkout health")
    by_hand = do_create_monitor(Actor(via="test"), name="By hand", target="https://hand.example")
    admin = web_clients["admin"]
    for path in (f"/monitors/{managed.pk}/", f"/monitors/{managed.pk}/edit/"):
        page = admin.get(path).content.decode()
        assert 'data-testid="managed-by-config"' in page and "<code>monitors.checkout-health</code>" in page, path
    assert "managed-by-config" not in admin.get(f"/monitors/{by_hand.pk}/").content.decode()
