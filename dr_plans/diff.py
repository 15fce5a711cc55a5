"""Side-by-side comparison of two plan versions, changed lines marked down to the characters."""

from dataclasses import dataclass
from difflib import SequenceMatcher

Segments = list[tuple[str, bool]]  # (text, changed)


@dataclass(frozen=True)
class Row:
    kind: str  # "equal", "replace", "delete", "insert"
    left_no: int | None
    left: Segments
    right_no: int | None
    right: Segments


def _marked(a: str, b: str) -> tuple[Segments, Segments]:
    """Mark the characters that differ between two changed lines."""
    left: Segments = []
    right: Segments = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            left.append((a[i1:i2], changed))
        if j2 > j1:
            right.append((b[j1:j2], changed))
    return left, right


def _replace_rows(a: list[str], b: list[str], i1: int, j1: int) -> list[Row]:
    rows = []
    for k in range(max(len(a), len(b))):
        left = a[k] if k < len(a) else None
        right = b[k] if k < len(b) else None
        if left is not None and right is not None:
            lseg, rseg = _marked(left, right)
            rows.append(Row("replace", i1 + k + 1, lseg, j1 + k + 1, rseg))
        elif left is not None:
            rows.append(Row("delete", i1 + k + 1, [(left, True)], None, []))
        else:
            rows.append(Row("insert", None, [], j1 + k + 1, [(right, True)]))
    return rows


def side_by_side(old: str, new: str) -> list[Row]:
    """Rows of (old line, new line) for every line of either text, in order."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs = zip(range(i1, i2), range(j1, j2), strict=True)
            rows.extend(Row("equal", i + 1, [(a[i], False)], j + 1, [(b[j], False)]) for i, j in pairs)
        elif tag == "delete":
            rows.extend(Row("delete", i + 1, [(a[i], True)], None, []) for i in range(i1, i2))
        elif tag == "insert":
            rows.extend(Row("insert", None, [], j + 1, [(b[j], True)]) for j in range(j1, j2))
        else:
            rows.extend(_replace_rows(a[i1:i2], b[j1:j2], i1, j1))
    return rows


def changed(rows: list[Row]) -> int:
    return sum(1 for row in rows if row.kind != "equal")
