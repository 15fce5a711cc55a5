"""Stakeholders to and from CSV.

Columns (a header row names them; order is free, unknown columns are refused):
  id, name, organisation, type, email, phone, channels, opted_out, time_zone, groups, components
Lists (channels, opted_out, groups, components) are separated by ';'. A row with an id,
or else an email, that matches a stakeholder updates it; any other row creates one.
Groups are created when named for the first time; components must exist.

Parsing checks every row and collects its errors; importing saves each good row on
its own (all or nothing per row) and skips the bad ones. Every cell is written through vigil.csv,
which quotes a text a spreadsheet would run as a formula; reading drops that quote again.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import Component
from vigil import csv as safe_csv

from .models import Stakeholder, StakeholderGroup
from .phones import to_e164

COLUMNS = ["id", "name", "organisation", "type", "email", "phone", "channels", "opted_out", "time_zone", "groups",
           "components"]  # fmt: skip
LIST_COLUMNS = {"channels", "opted_out", "groups", "components"}
MAX_ROWS = 50_000


class CsvError(Exception):
    """The file as a whole cannot be read (no header, unknown columns, too long)."""


@dataclass
class Row:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    stakeholder: Stakeholder | None = None
    groups: list[str] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def read(text: str) -> list[Row]:
    """Every data row of TEXT, checked. Raises CsvError when the file cannot be read at all."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "name" not in header:
        raise CsvError("The first row must name the columns, including 'name'.")
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        raise CsvError(f"Unknown columns: {', '.join(unknown)}. Known: {', '.join(COLUMNS)}.")
    reader.fieldnames = header
    components = {c.name.lower(): c for c in Component.objects.all()}
    rows = []
    for values in reader:
        if len(rows) >= MAX_ROWS:
            raise CsvError(f"More than {MAX_ROWS} rows; split the file.")
        if None in values:
            rows.append(Row(reader.line_num, {}, [f"More cells than the {len(header)} columns of the header."]))
            continue
        cells = {k: safe_csv.unescape((v or "").strip()) for k, v in values.items()}
        rows.append(check(Row(reader.line_num, cells), components))
    return rows


def check(row: Row, components: dict[str, Component]) -> Row:
    """Fill ROW's stakeholder (unsaved) and relations, or its errors."""
    values = row.values
    person = _existing(values, row) or Stakeholder()
    person.name = values.get("name", "")
    for column, attr in [("organisation", "organisation"), ("email", "email"), ("time_zone", "time_zone")]:
        if column in values and (values[column] or column != "time_zone"):
            setattr(person, attr, values[column])
    if "type" in values:
        person.kind = values["type"].lower() or Stakeholder.Kind.CUSTOMER
    if values.get("phone"):
        try:
            person.phone = to_e164(values["phone"])
        except ValidationError as exc:
            row.errors.extend(exc.messages)
    elif "phone" in values:
        person.phone = ""
    # An empty channels cell keeps what the person has (email for a new one); empty opted_out clears it.
    if values.get("channels"):
        person.channels = [m.lower() for m in _split(values["channels"])]
    if "opted_out" in values:
        person.opted_out = [m.lower() for m in _split(values["opted_out"])]
    try:
        person.full_clean(exclude=["phone"] if row.errors else None, validate_unique=False)
    except ValidationError as exc:
        row.errors.extend(f"{name}: {msg}" for name, msgs in exc.message_dict.items() for msg in msgs)
    row.groups = _split(values.get("groups", ""))
    missing = [name for name in _split(values.get("components", "")) if name.lower() not in components]
    if missing:
        row.errors.append(f"components: no component named {', '.join(missing)}.")
    row.components = [components[n.lower()] for n in _split(values.get("components", "")) if n.lower() in components]
    row.stakeholder = person
    return row


def _existing(values: dict, row: Row) -> Stakeholder | None:
    if values.get("id"):
        found = Stakeholder.objects.filter(pk=values["id"]).first() if values["id"].isdigit() else None
        if found is None:
            row.errors.append(f"id: no stakeholder has id {values['id']}.")
        return found
    if values.get("email"):
        return Stakeholder.objects.filter(email__iexact=values["email"]).order_by("pk").first()
    return None


def save(rows: list[Row]) -> tuple[int, int]:
    """Save the good rows, each in its own transaction. Returns (created, updated)."""
    created = updated = 0
    for row in rows:
        if row.errors:
            continue
        with transaction.atomic():
            is_new = row.stakeholder.pk is None
            row.stakeholder.save()
            if "groups" in row.values:
                groups = [StakeholderGroup.objects.get_or_create(name=name[:100])[0] for name in row.groups]
                row.stakeholder.groups.set(groups)
            if "components" in row.values:
                row.stakeholder.components.set(row.components)
        created, updated = created + is_new, updated + (not is_new)
    return created, updated


def write(stakeholders, out) -> None:
    """Stakeholders as CSV, in the columns read() takes back."""
    writer = safe_csv.writer(out)
    writer.writerow(COLUMNS)
    for s in stakeholders.prefetch_related("groups", "components"):
        writer.writerow([
            s.pk, s.name, s.organisation, s.kind, s.email, s.phone, ";".join(s.channels), ";".join(s.opted_out),
            s.time_zone, ";".join(g.name for g in s.groups.all()), ";".join(c.name for c in s.components.all()),
        ])  # fmt: skip
