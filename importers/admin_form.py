"""The admin's "Import from another tool" form: the same sources and options as `manage.py import_from`.

Which fields a source needs is SOURCE_FIELDS, one line a source; the form validates against it
(so a missing field is named beside that field, with or without JavaScript) and the template shows
only those fields (each row carries the sources it belongs to, importers/static/importers/import_form.js
hides the others).
"""

from django import forms

from .sources import IMPORTERS

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 200 * MB
SQLITE_HEADER = b"SQLite format 3\x00"


# source -> (required fields, optional fields). Every source also takes `instance`.
SOURCE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uptime-kuma": (("db",), ()),
    "pagerduty": (("api_key",), ("api_url", "ca_file")),
    "statuspage": (("page_id", "api_key"), ("api_url",)),
    "opsgenie": (("api_key",), ("api_url",)),
    "grafana-oncall": (("api_key", "api_url"), ()),  # OnCall has no default address
}
SOURCE_FIELD_NAMES = ["db", "api_key", "api_url", "page_id", "ca_file"]
FILE_FIELDS = ("db", "ca_file")


def fields_of(source: str) -> tuple[str, ...]:
    required, optional = SOURCE_FIELDS[source]
    return (*required, *optional)


class ImportForm(forms.Form):
    source = forms.ChoiceField(choices=[(name, name) for name in IMPORTERS])
    instance = forms.CharField(
        initial="default",
        max_length=100,
        help_text="Which installation of the tool, when importing from several (remembered per instance).",
    )
    db = forms.FileField(
        required=False, label="kuma.db", help_text="Uptime Kuma's SQLite database (data/kuma.db), at most 200 MB."
    )
    api_key = forms.CharField(
        required=False,
        label="API key",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Read access is enough. Kept on the server for this session only, never shown again.",
    )
    api_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="API URL",
        help_text="Only for a proxy or a self-hosted instance; else the tool's own.",
    )
    page_id = forms.CharField(required=False, max_length=100, label="Page id", help_text="In the page's API settings.")
    ca_file = forms.FileField(
        required=False,
        label="CA bundle",
        help_text="Optional PEM file: also trust this CA (a proxy in front of the API).",
    )

    def clean_db(self):
        upload = self.cleaned_data.get("db")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size // MB} MB; the limit is {MAX_UPLOAD_BYTES // MB} MB."
            )
        upload.seek(0)
        header = upload.read(len(SQLITE_HEADER))
        upload.seek(0)
        if header != SQLITE_HEADER:
            raise forms.ValidationError(
                f"{upload.name} cannot be read as an SQLite database: give Uptime Kuma's kuma.db."
            )
        return upload

    def clean_ca_file(self):
        upload = self.cleaned_data.get("ca_file")
        if upload is not None and upload.size > 1024 * 1024:
            raise forms.ValidationError("A CA bundle of more than 1 MB is not a CA bundle.")
        return upload

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source not in SOURCE_FIELDS:
            return data
        required, _ = SOURCE_FIELDS[source]
        for name in SOURCE_FIELD_NAMES:  # a field of another source (left filled, hidden) is ignored
            if name not in fields_of(source):
                self.errors.pop(name, None)
                data.pop(name, None)
        for name in required:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, f"{IMPORTERS[source].name} needs this.")
        return data

    def field_rows(self):
        """The source fields with the sources each belongs to, for the template (and its JS)."""
        for name in SOURCE_FIELD_NAMES:
            sources = [source for source in SOURCE_FIELDS if name in fields_of(source)]
            yield self[name], " ".join(sources)

    def options(self) -> dict[str, str]:
        """The text options of the chosen source (files are saved separately), as import_from names them."""
        source = self.cleaned_data["source"]
        options = {"instance": self.cleaned_data["instance"]}
        for name in fields_of(source):
            if name not in FILE_FIELDS and self.cleaned_data.get(name):
                options[name] = self.cleaned_data[name]
        return options

    def uploads(self) -> dict:
        source = self.cleaned_data["source"]
        return {
            name: self.cleaned_data[name]
            for name in fields_of(source)
            if name in FILE_FIELDS and self.cleaned_data.get(name)
        }
