"""vigil.db.bulk_insert's COPY text on PostgreSQL: each value as PostgreSQL reads it back, or refused for INSERT."""

import enum
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from vigil.db import _copy_field


class Level(enum.IntEnum):
    HIGH = 2


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, r"\N"),
        (True, "t"),
        (False, "f"),
        ("tab\there\nback\\slash\r", r"tab\there\nback\\slash\r"),
        (r"\N", r"\\N"),  # the text "\N", not NULL
        (Level.HIGH, "2"),  # the number, not "Level.HIGH"
        (-0.25, "-0.25"),
        (Decimal("1.50"), "1.50"),
        (datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "2026-01-02 03:04:05.000006+00:00"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_a_value_becomes_copys_text_for_it(value, text):
    assert _copy_field(value) == text


@pytest.mark.parametrize("value", [float("nan"), b"bytes", {"a": 1}])
def test_a_value_copy_cannot_carry_is_left_to_insert(value):
    with pytest.raises(TypeError):
        _copy_field(value)
