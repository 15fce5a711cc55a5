"""Every CSV Vigil writes quotes a cell a spreadsheet would run as a formula (= + - @, tab, CR): one helper."""

import csv
import io

from comms import csvio
from comms.models import Stakeholder, StakeholderGroup
from postmortems.reports.tables import Table
from vigil import csv as safe_csv

FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tnot a tab", "\r=1"]


def test_a_stakeholder_export_quotes_every_formula_start_and_imports_back_unchanged(db):
    person = Stakeholder.objects.create(
        name="-2+3+cmd|' /C calc'!A0", organisation="+Evil Corp", phone="+14155552671", email="ada@example.com"
    )
    person.groups.set([StakeholderGroup.objects.create(name="@SUM(A1)")])
    out = io.StringIO()
    csvio.write(Stakeholder.objects.order_by("pk"), out)
    row = dict(zip(*list(csv.reader(io.StringIO(out.getvalue()))), strict=True))
    assert row["name"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["organisation"] == "'+Evil Corp"
    assert row["groups"] == "'@SUM(A1)"
    assert row["phone"] == "'+14155552671"
    rows = csvio.read(out.getvalue())
    assert not rows[0].errors
    assert (rows[0].stakeholder.name, rows[0].stakeholder.organisation) == (person.name, person.organisation)
    assert rows[0].stakeholder.phone == "+14155552671" and rows[0].groups == ["@SUM(A1)"]


def test_report_tables_use_the_same_helper_and_numbers_stay_numbers():
    table = Table("t", "T", [("name", "Name"), ("value", "Value")], [{"name": f, "value": -3} for f in FORMULAS])
    rows = list(csv.reader(io.StringIO(table.as_csv(), newline="")))[1:]
    assert [r[0] for r in rows] == ["'" + f for f in FORMULAS]
    assert {r[1] for r in rows} == {"-3"}, "a negative number is a number, not a formula"
    assert all(safe_csv.unescape(safe_csv.escape(f)) == f for f in FORMULAS)
    assert safe_csv.escape("plain") == "plain" and safe_csv.unescape("'plain") == "'plain"
