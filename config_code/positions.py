"""Lists written in order whose items have no key (a schedule's layers, a DR plan's steps): the
n-th written is the n-th stored, changed in place if it differs, the missing made, the extra deleted."""

from collections.abc import Callable, Sequence
from typing import Any


def by_position(
    current: Sequence,
    wanted: Sequence[dict],
    *,
    changes: Callable[[Any, dict], dict],
    update: Callable[[Any, dict], Any],
    create: Callable[[dict], Any],
    delete: Callable[[Any], Any],
) -> None:
    """Make CURRENT (stored, in order) what WANTED says, through the given actions: UPDATE(item,
    CHANGES(item, wanted)) where they differ, CREATE(wanted) past the stored, DELETE(item) past the wanted."""
    for item, values in zip(current, wanted, strict=False):
        if differences := changes(item, values):
            update(item, differences)
    for values in wanted[len(current) :]:
        create(values)
    for item in current[len(wanted) :]:
        delete(item)
