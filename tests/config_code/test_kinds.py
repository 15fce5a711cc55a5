"""Each kind is declared once: its section, definition and fields agree, so no field of a file is ignored."""

import pytest

from config_code.kinds import KINDS
from config_code.schema import SECTIONS


def test_the_kinds_are_the_files_sections_in_the_order_objects_are_made():
    assert [kind.name for kind in KINDS] == list(SECTIONS)
    made = []
    for kind in KINDS:
        assert set(kind.refs.values()) <= set(made), f"{kind.name} names a kind made after it"
        assert kind.name != "escalation_policies" or "schedules" in made  # its levels name schedules
        made.append(kind.name)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_field_a_file_may_set_is_written_to_the_model(kind):
    assert kind.definition is SECTIONS[kind.name]
    keyed = () if kind.singleton else ("key",)  # the status page: one mapping, no key
    assert set(kind.definition.model_fields) == {*keyed, *kind.fields, *kind.nested}
    for name, model_field in kind.fields.items():
        field = kind.model._meta.get_field(model_field)
        assert field.is_relation == (name in kind.refs), name
