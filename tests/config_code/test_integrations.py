"""Alert integrations as code: their token is read from the environment, never written in a file."""

import io

import pytest
from django.core.management import call_command

from config_code.apply import ConfigInvalid, apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from config_code.text import as_json, render
from incidents.models import Integration

from .conftest import EXAMPLE, loaded

TOKEN = "tok_" + "a" * 28
INTEGRATIONS = (
    EXAMPLE
    + """\
integrations:
  - key: alertmanager
    name: Prometheus
    kind: alertmanager
    severity: sev1
    team: payments
    components: [checkout-api]
    token: ${env:VIGIL_CONFIG_AM_TOKEN}
  - key: grafana
    name: Grafana
    kind: grafana
    auto_resolve: false
"""
)
ENV = {"CHECKOUT_TOKEN": "s3cret", "VIGIL_CONFIG_AM_TOKEN": TOKEN}


def test_integrations_are_made_with_the_token_given_and_the_token_is_never_shown(db):
    plan = make_plan(loaded(INTEGRATIONS, environ=ENV))
    assert plan.errors == []
    made = [(c.key, [d[0] for d in c.diffs]) for c in plan.changes if c.kind.name == "integrations"]
    fields = ["name", "kind", "enabled", "severity", "auto_resolve", "token", "team", "escalation_policy", "components"]
    assert made == [("alertmanager", fields), ("grafana", fields)]
    assert TOKEN not in render(plan) and TOKEN not in str(as_json(plan)) and "token: '(hidden)'" in render(plan)
    apply_loaded(loaded(INTEGRATIONS, environ=ENV))
    prometheus, grafana = Integration.objects.order_by("name").reverse()
    assert (prometheus.token, prometheus.severity, [c.name for c in prometheus.components.all()]) == (
        TOKEN,
        "sev1",
        ["Checkout API"],
    )
    assert len(grafana.token) >= 30 and grafana.auto_resolve is False  # made by Vigil, kept
    assert TOKEN not in "".join(ManagedObject.objects.values_list("source_hash", flat=True))
    assert make_plan(loaded(INTEGRATIONS, environ=ENV)).changes == []


def test_a_new_token_in_the_environment_re_keys_it_and_a_kind_change_is_refused(db):
    apply_loaded(loaded(INTEGRATIONS, environ=ENV))
    [change] = make_plan(loaded(INTEGRATIONS, environ=ENV | {"VIGIL_CONFIG_AM_TOKEN": "b" * 32})).changes
    assert [(d[0]) for d in change.diffs] == ["token"]
    apply_loaded(loaded(INTEGRATIONS, environ=ENV | {"VIGIL_CONFIG_AM_TOKEN": "b" * 32}))
    assert Integration.objects.get(name="Prometheus").token == "b" * 32
    with pytest.raises(ConfigInvalid, match=r"integrations\[1\].kind: An integration's kind cannot change"):
        apply_loaded(loaded(INTEGRATIONS.replace("kind: grafana", "kind: generic"), environ=ENV))


def test_integrations_export_a_reference_to_their_token_and_plan_back_to_no_change(db):
    apply_loaded(loaded(INTEGRATIONS, environ=ENV))
    ManagedObject.objects.all().delete()
    err = io.StringIO()
    call_command("vigil_export", stdout=io.StringIO(), stderr=err)
    assert "VIGIL_CONFIG_INTEGRATIONS_PROMETHEUS_TOKEN" in err.getvalue()
    ManagedObject.objects.all().delete()
    text = as_yaml(export())
    assert TOKEN not in text and "token: ${env:VIGIL_CONFIG_INTEGRATIONS_PROMETHEUS_TOKEN}" in text
    tokens = {f"VIGIL_CONFIG_INTEGRATIONS_{i.name.upper()}_TOKEN": i.token for i in Integration.objects.all()}
    assert make_plan(load([("export.yaml", text)], environ=ENV | tokens)).changes == []
    [error] = make_plan(
        load([("export.yaml", text)], environ={**tokens, "VIGIL_CONFIG_INTEGRATIONS_GRAFANA_TOKEN": "x"})
    ).errors
    assert error.path == "integrations[1].token" and "x" not in error.message.split("'")
