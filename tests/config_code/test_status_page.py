"""The status page's settings as code: one mapping, not a list; its id kept unless the file sets it."""

import pytest

from comms.models import StatusPageBranding
from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from vigil.models import AuditEntry

from .conftest import loaded

PAGE = """\
status_page:
  name: Acme
  accent_colour: "#112233"
  footer_links: |-
    Terms | https://example.com/terms
  support_contact: help@example.com
"""


@pytest.fixture
def page_id(db):
    return StatusPageBranding.load().page_id  # an install's page, as the first admin set it up


def test_the_page_settings_are_planned_applied_through_comms_and_keep_the_pages_id(page_id):
    plan = make_plan(loaded(PAGE))
    assert plan.errors == []
    [change] = plan.changes
    assert (change.action, change.key, change.diffs[0]) == ("create", "status_page", ("name", None, "Acme"))
    apply_loaded(loaded(PAGE))
    page = StatusPageBranding.current()
    assert (page.name, page.accent_colour, page.page_id) == ("Acme", "#112233", page_id)
    assert AuditEntry.objects.filter(action="status_page.branding", via="config").count() == 1
    assert make_plan(loaded(PAGE)).changes == []
    [change] = make_plan(loaded(PAGE.replace("Acme", "Acme Cloud"))).changes
    assert change.diffs == [("name", "Acme", "Acme Cloud")]


def test_the_page_set_twice_or_badly_is_refused_in_place_and_never_deleted_by_prune(page_id):
    files = [("a.yaml", PAGE), ("b.yaml", PAGE.replace("help@example.com", "not an address"))]
    assert [(e.file, e.line, e.message) for e in load(files).errors] == [
        ("b.yaml", 2, "status_page is already set at a.yaml:2: once across the files.")
    ]
    plan = make_plan(loaded(PAGE.replace("help@example.com", "not@")))
    assert [(e.line, e.path) for e in plan.errors] == [(6, "status_page.support_contact")]
    apply_loaded(loaded(PAGE))
    plan = make_plan(loaded("teams: []\n"), prune=True)
    assert [(c.action, c.key) for c in plan.changes] == [("release", "status_page")]


def test_the_page_exports_as_one_mapping_with_its_id_and_plans_back_to_no_change(page_id):
    apply_loaded(loaded(PAGE))
    ManagedObject.objects.all().delete()
    text = as_yaml(export())
    assert "status_page:\n  name: Acme\n  accent_colour: '#112233'\n" in text and f"page_id: {page_id}" in text
    assert make_plan(load([("export.yaml", text)])).changes == []
