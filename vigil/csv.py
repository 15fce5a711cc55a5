"""CSV that a spreadsheet opens as data: the one helper every CSV Vigil writes goes through.

A cell that starts with = + - or @ (or a tab or carriage return, which some spreadsheets skip before
reading a formula) is run as a formula when the file is opened: `=HYPERLINK(...)` in a stakeholder's
name, `-2+3` in a component's. Such a text cell is written after a single quote, which spreadsheets
take as "this is text" (OWASP's advice for CSV injection); numbers are written as they are, so a
negative figure stays a number. unescape() undoes it for a file read back in (comms.csvio).
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape(value):
    """VALUE as a cell: a text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape(text: str) -> str:
    """A cell read back: the quote escape() added is dropped (and only that quote)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


class Writer:
    """csv.writer whose every cell goes through escape(); None is written as an empty cell."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row) -> None:
        self._writer.writerow(["" if value is None else escape(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> Writer:
    return Writer(out, **options)
