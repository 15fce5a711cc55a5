import textwrap

import pytest

from config_code.loader import load

EXAMPLE = """\
teams:
  - key: payments
    name: Payments
component_groups:
  - key: shop
    name: Shop
components:
  - key: checkout-api
    name: Checkout API
    group: shop
    team: payments
monitors:
  - key: checkout-health
    name: Checkout health
    target: https://checkout.example.com/health
    interval_seconds: 30
    team: payments
    component: checkout-api
    headers:
      Authorization: Bearer ${env:CHECKOUT_TOKEN}
  - key: nightly-backup
    name: Nightly backup
    kind: heartbeat
    cron: "0 3 * * *"
    grace_seconds: 900
"""

ENV = {"CHECKOUT_TOKEN": "s3cret"}


def files(text: str, name: str = "vigil.yaml") -> list[tuple[str, str]]:
    return [(name, textwrap.dedent(text))]


def loaded(text: str = EXAMPLE, name: str = "vigil.yaml", environ=None):
    return load(files(text, name), environ=ENV if environ is None else environ)


@pytest.fixture
def example():
    return loaded()
