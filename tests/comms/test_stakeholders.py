"""Stakeholders: E.164 phones, CSV import with a preview of bad rows, CSV export that imports back."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from comms import csvio
from comms.models import Stakeholder, StakeholderGroup
from comms.phones import to_e164
from tests.conftest import assert_web_outcome

CSV = """name,organisation,type,email,phone,channels,groups,components
Ada,Acme,customer,ada@example.com,+1 415 555 2671,email;sms,Enterprise;Leadership,API
Bad Phone,Acme,customer,bp@example.com,12345,email,,
Bad Type,Globex,alien,bt@example.com,,email,,
Bad Component,Globex,vendor,bc@example.com,,email,,Nope
Grace,Globex,vendor,grace@example.com,,,Payment vendors,
"""


def test_phones_are_stored_in_e164():
    assert to_e164("+44 20 7946 0958") == "+442079460958"
    with pytest.raises(ValidationError):
        to_e164("020 7946 0958")
    with pytest.raises(ValidationError):
        Stakeholder(name="x", phone="+1 415 555 2671").full_clean()
    Stakeholder(name="x", phone="+14155552671").full_clean()


def test_the_preview_lists_each_bad_row_with_its_reason(api_component):
    rows = csvio.read(CSV)
    bad = {row.values["name"]: row.errors for row in rows if row.errors}
    assert set(bad) == {"Bad Phone", "Bad Type", "Bad Component"}
    assert "not a phone number" in bad["Bad Phone"][0]
    assert bad["Bad Type"][0].startswith("kind:")
    assert "no component named Nope" in bad["Bad Component"][0]
    assert Stakeholder.objects.count() == 0, "a preview saves nothing"


def test_only_good_rows_are_imported(api_component):
    created, updated = csvio.save(csvio.read(CSV))
    assert (created, updated) == (2, 0)
    ada = Stakeholder.objects.get(email="ada@example.com")
    assert (ada.phone, ada.channels) == ("+14155552671", ["email", "sms"])
    assert sorted(g.name for g in ada.groups.all()) == ["Enterprise", "Leadership"]
    assert list(ada.components.all()) == [api_component]
    assert Stakeholder.objects.get(name="Grace").channels == ["email"], "an empty list keeps the default"
    assert StakeholderGroup.objects.filter(name="Payment vendors").exists()


def test_an_unreadable_file_is_refused_whole():
    with pytest.raises(csvio.CsvError, match="Unknown columns: colour"):
        csvio.read("name,colour\nAda,red\n")
    with pytest.raises(csvio.CsvError):
        csvio.read("")


def test_export_then_import_updates_instead_of_duplicating(api_component):
    csvio.save(csvio.read(CSV))
    ada = Stakeholder.objects.get(email="ada@example.com")
    ada.name = "=HYPERLINK(evil)"
    ada.save()
    out = io.StringIO()
    csvio.write(Stakeholder.objects.order_by("pk"), out)
    assert "'=HYPERLINK(evil)" in out.getvalue(), "a formula is not left for a spreadsheet to run"
    rows = csvio.read(out.getvalue())
    assert not [row.errors for row in rows if row.errors]
    assert csvio.save(rows) == (0, 2)
    assert Stakeholder.objects.count() == 2
    assert Stakeholder.objects.get(pk=ada.pk).name == "=HYPERLINK(evil)"


def _upload(text: str):
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


def test_the_import_page_previews_then_imports(web_clients, api_component):
    client = web_clients["admin"]
    preview = client.post("/comms/stakeholders/import/", {"file": _upload(CSV)})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert page.count('data-testid="bad-row"') == 3
    assert 'data-testid="good-count">2<' in page
    assert Stakeholder.objects.count() == 0
    text = preview.context["confirm"].initial["text"]
    done = client.post("/comms/stakeholders/import/", {"text": text, "confirm": "on"})
    assert done.status_code == 302
    assert Stakeholder.objects.count() == 2


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_who_may_import_and_export(web_clients, role):
    client = web_clients[role]
    assert_web_outcome(role, {"admin"}, client.get("/comms/stakeholders/import/"))
    assert_web_outcome(role, {"admin"}, client.post("/comms/stakeholders/import/", {"file": _upload("name\nZed\n")}))
    export = client.get("/comms/stakeholders/export.csv")
    # The export holds contact details in full, which viewers see masked (vigil.privacy): not theirs.
    assert_web_outcome(role, {"admin", "responder"}, export)
    if export.status_code == 200:
        assert export["Content-Type"].startswith("text/csv")
