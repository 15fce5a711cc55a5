"""A report table: named columns and rows of plain values, the one shape the page, the CSV and the API read."""

import io
from dataclasses import dataclass, field

from vigil import csv as safe_csv


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (field, heading)
    rows: list[dict] = field(default_factory=list)
    periods: dict = field(default_factory=dict)  # the period of a windowed figure, in words, by window
    # How the page writes some cells, by row: {field: text}. The uptime columns are written as the status
    # page writes them ("99.56%"), while the CSV and the API keep the numbers.
    shown: list[dict] = field(default_factory=list)

    @property
    def headings(self) -> list[str]:
        return [heading for _, heading in self.columns]

    def cells(self) -> list[list]:
        return [[row[name] for name, _ in self.columns] for row in self.rows]

    def shown_cells(self) -> list[list]:
        """The cells as the page shows them."""
        shown = self.shown or [{}] * len(self.rows)
        return [
            [texts.get(name, row[name]) for name, _ in self.columns]
            for row, texts in zip(self.rows, shown, strict=True)
        ]

    def as_csv(self) -> str:
        """The table as CSV; a text cell starting like a formula is quoted (vigil.csv)."""
        out = io.StringIO()
        writer = safe_csv.writer(out)
        writer.writerow([name for name, _ in self.columns])
        writer.writerows(self.cells())
        return out.getvalue()
