"""Text as it enters Vigil: control characters out, one rule for every front door.

An alert's summary can carry a terminal's colour codes (ESC [ 31 m), a pasted log a NUL or a
backspace. None of them means anything on a page, and several break what Vigil writes: XML 1.0
(the status page's Atom and RSS feeds) cannot hold C0 controls at all, PostgreSQL refuses NUL in
text, and a lone surrogate cannot be encoded as UTF-8. So text is cleaned where it comes in (the
incident forms and serializers, the do_* actions, the alert parsers, monitors' failure reasons,
mentions), not where it goes out:

- clean_line() is for one-line fields (a title): every control character goes, and line breaks
  and tabs become a space;
- clean_text() is for multi-line fields (a summary, an update): newlines and tabs stay, a
  carriage return before a newline (Windows line ends) is dropped, every other control goes.

A whole ANSI escape sequence is removed, not only its ESC: "[31mERROR[0m" helps nobody either.
"""

import re

from django import forms
from rest_framework import serializers

# CSI (ESC [ ... final byte) and OSC (ESC ] ... BEL or ESC \) sequences, then any other ESC + one character.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
# C0 but tab, newline and carriage return; DEL and C1; UTF-16 surrogates; the two non-characters XML forbids.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile(r"[\t\n\r]+")


def clean_text(value: str) -> str:
    """VALUE without control characters; newlines and tabs are kept (multi-line fields)."""
    if not value:
        return value
    value = _CONTROL.sub("", _ANSI.sub("", value))
    return value.replace("\r\n", "\n").replace("\r", "\n")


def clean_line(value: str) -> str:
    """VALUE without control characters, on one line: line breaks and tabs become one space."""
    if not value:
        return value
    return _BREAKS.sub(" ", clean_text(value))


def clean_map(values: dict, multiline: bool = False) -> dict:
    """A {str: str} mapping (alert labels, annotations) with every key and value cleaned."""
    clean = clean_text if multiline else clean_line
    return {clean_line(key): clean(value) for key, value in values.items()}


# --- Form and serializer fields that clean ------------------------------------------------------


class LineField(forms.CharField):
    """A one-line form field that drops control characters before checking length and emptiness."""

    def to_python(self, value):
        return super().to_python(clean_line(value) if isinstance(value, str) else value)


class TextField(forms.CharField):
    """A multi-line form field that drops control characters (keeping newlines and tabs)."""

    def to_python(self, value):
        return super().to_python(clean_text(value) if isinstance(value, str) else value)


class LineSerializerField(serializers.CharField):
    """A one-line API field: control characters dropped, then the field's own checks on what is left."""

    multiline = False

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        value = clean_text(value) if self.multiline else clean_line(value)
        if self.trim_whitespace:
            value = value.strip()
        if value == "" and not self.allow_blank:
            self.fail("blank")
        return value


class TextSerializerField(LineSerializerField):
    """A multi-line API field: control characters dropped, newlines and tabs kept."""

    multiline = True
