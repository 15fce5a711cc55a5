"""A report table: named columns and rows of plain values, the one shape the page, the CSV and the API read."""

import csv
import io
from dataclasses import dataclass, field


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (field, heading)
    rows: list[dict] = field(default_factory=list)

    @property
    def headings(self) -> list[str]:
        return [heading for _, heading in self.columns]

    def cells(self) -> list[list]:
        return [[row[name] for name, _ in self.columns] for row in self.rows]

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([name for name, _ in self.columns])
        for cells in self.cells():
            writer.writerow(["" if value is None else _safe(value) for value in cells])
        return out.getvalue()


def _safe(value):
    """A text cell starting like a formula is quoted, so a spreadsheet shows it instead of running it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
