"""The README's example file is a valid configuration of every kind: planned on a fresh install, it
creates every object it shows and reports no error."""

import re
from pathlib import Path

from config_code.apply import apply_loaded
from config_code.kinds import KINDS
from config_code.loader import load
from config_code.plan import make_plan
from tests.conftest import make_user

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    section = README.read_text().split("## Configuration as code", 1)[1]
    return re.search(r"```yaml\n(# vigil\.yaml.*?)```", section, re.S).group(1)


def test_the_readme_example_plans_and_applies_without_an_error(db):
    make_user("ann", None), make_user("bob", None)  # ann@example.com, bob@example.com: people come from SCIM
    files, environ = [("README.md", example())], {"CHECKOUT_TOKEN": "t", "VIGIL_CONFIG_PROMETHEUS_TOKEN": "p" * 32}
    plan = make_plan(load(files, environ=environ))
    assert plan.errors == []
    assert {c.kind.name for c in plan.changes} == {kind.name for kind in KINDS}  # every kind, shown once
    apply_loaded(load(files, environ=environ))
    assert make_plan(load(files, environ=environ)).changes == []
