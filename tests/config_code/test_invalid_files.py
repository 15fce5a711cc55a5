"""An invalid file is refused whole: every error with its file, line and path, and nothing applied."""

import time

import pytest

from config_code.apply import ConfigInvalid, apply_loaded
from config_code.loader import load
from config_code.plan import make_plan
from incidents.models import Component, Team
from monitoring.models import Monitor

from .conftest import files, loaded

BROKEN = """\
teams:
  - key: payments
    name: Payments
    colour: blue
components:
  - key: checkout-api
    name: Checkout API
    team: paymnets
monitors:
  - key: checkout-health
    name: Checkout health
    target: https://checkout.example.com/health
    interval_seconds: 5
  - key: nightly-backup
    name: Nightly backup
    kind: heartbeat
    cron: "every night"
  - key: no-target
    name: Nothing to probe
    kind: tcp
    port: 443
"""


def test_every_error_is_reported_at_once_with_file_line_and_path_and_nothing_is_applied(db):
    broken = loaded(BROKEN, name="config/shop.yaml")
    with pytest.raises(ConfigInvalid) as refused:
        apply_loaded(broken)
    found = [(e.file, e.line, e.path) for e in refused.value.plan.errors]
    assert found == [
        ("config/shop.yaml", 4, "teams[0].colour"),  # unknown field
        ("config/shop.yaml", 13, "monitors[0].interval_seconds"),  # below the model's minimum
        ("config/shop.yaml", 8, "components[0].team"),  # a key no file defines
        ("config/shop.yaml", 17, "monitors[1].cron"),  # Monitor.clean's own check
        ("config/shop.yaml", 18, "monitors[2].target"),  # a TCP monitor needs a host
    ]
    messages = [e.message for e in refused.value.plan.errors]
    assert "Extra inputs are not permitted" in messages[0]
    assert "greater than or equal to 10" in messages[1]
    assert messages[2] == "There is no teams with the key 'paymnets' in the files."
    assert str(refused.value.plan.errors[0]).startswith("config/shop.yaml:4: teams[0].colour: ")
    assert not Team.objects.exists() and not Component.objects.exists() and not Monitor.objects.exists()


def test_a_key_twice_across_files_names_both_places(db):
    first = "teams:\n  - key: payments\n    name: Payments\n"
    second = "teams:\n  - key: search\n    name: Search\n  - key: payments\n    name: Payments again\n"
    plan = make_plan(load([("a.yaml", first), ("b.yaml", second)]))
    assert [str(e) for e in plan.errors] == ["b.yaml:4: teams[1].key: The key 'payments' is already used at a.yaml:2."]


def test_two_keys_with_one_unique_name_are_refused_before_the_database_is_asked(db):
    plan = make_plan(loaded("teams:\n  - key: a\n    name: Payments\n  - key: b\n    name: Payments\n"))
    assert [(e.line, e.path) for e in plan.errors] == [(5, "teams[1].name")]


@pytest.mark.parametrize(
    ("text", "line", "path", "message"),
    [
        ("teams: [{key: Payments, name: P}]", 1, "teams[0].key", "should match pattern"),
        ("teams:\n  - key: a\n    name: A\n    name: B\n", 4, "teams[0].name", "Written twice."),
        ("teams:\n  - key: a\n    name: ${env:TEAM_NAME}\n", 3, "teams[0].name", "TEAM_NAME is not set"),
        ("monitors:\n  - key: m\n    name: M\n    kind: ftp\n", 4, "monitors[0].kind", "'http'"),
        ("- just a list\n", 1, "", "a mapping of sections"),
        ("teams: [\n", 2, "", "Not valid YAML"),
        ("version: 2\n", 1, "version", "Input should be 1"),
        ('teams: [{key: a, name: "A\\0"}]\n', 1, "teams[0].name", "NUL character"),
    ],
)
def test_each_kind_of_mistake_is_placed(db, text, line, path, message):
    plan = make_plan(load(files(text), environ={}))
    assert [(e.file, e.line, e.path) for e in plan.errors] == [("vigil.yaml", line, path)]
    assert message in plan.errors[0].message


def test_anchors_and_merge_keys_work_and_nested_aliases_cost_linear_time(db):
    text = (
        "monitors:\n"
        "  - &base {key: a, name: A, target: 'https://a.example', interval_seconds: 30}\n"
        "  - {<<: *base, key: b, name: B}\n"
    )
    plan = make_plan(load(files(text)))
    assert plan.errors == [] and [c.entry.definition.interval_seconds for c in plan.changes] == [30, 30]
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(12)
    )
    started = time.perf_counter()
    plan = make_plan(load(files(laughs)))  # 9**13 strings if expanded
    assert time.perf_counter() - started < 2
    assert len(plan.errors) == 13 and all(e.message == "Extra inputs are not permitted" for e in plan.errors)


def test_secrets_come_from_the_environment(db):
    text = "monitors:\n  - key: m\n    name: M\n    target: https://x.example\n    headers: {X-Token: '${env:TOKEN}'}\n"
    plan = make_plan(load(files(text), environ={"TOKEN": "abc"}))
    assert plan.errors == [] and plan.changes[0].entry.definition.headers == {"X-Token": "abc"}


def test_a_name_another_object_has_is_refused_at_its_line(db):
    from incidents.models import Component as Existing

    Existing.objects.create(name="Checkout API")
    plan = make_plan(loaded("components:\n  - key: checkout\n    name: Checkout API\n"))
    assert [(e.line, e.path) for e in plan.errors] == [(3, "components[0].name")]
    assert plan.errors[0].message.startswith("Component with this Name already exists.")
