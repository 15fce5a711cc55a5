"""The building blocks of the file's definitions: keys, and a Django field as a pydantic field.

A definition's types, choices, defaults, bounds and help texts are read from the Django field
(`from_model`), so the file, its JSON Schema and the dashboard cannot disagree, and no rule is
written twice. Each kind's definition is in config_code.schema (or its own module for a nested one).
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, create_model

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=100)]
# Keys of a set of objects (a monitor's parents): the order written is not a change.
KeySet = Annotated[list[Key], AfterValidator(lambda keys: sorted(set(keys)))]
KEY_HELP = "A stable id chosen by the author (lowercase letters, digits, - and _): renaming keeps the object."


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _python_type(field: models.Field) -> Any:
    if field.choices:
        return Literal[tuple(value for value, _ in field.choices)]
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    if isinstance(field, models.FloatField):
        return float
    if isinstance(field, models.DecimalField):
        return Decimal
    if isinstance(field, models.DateTimeField):
        return AwareDatetime  # with its offset (2026-03-01T22:00:00Z): a time without one is ambiguous
    if isinstance(field, models.JSONField):
        # A list field (a browser monitor's steps) holds objects, checked by the model on apply.
        return list[dict[str, Any]] if field.default is list else dict[str, str]
    return str


def _bounds(field: models.Field) -> dict:
    """The bounds the field declares. Not `field.validators`: that adds the database's integer
    range, which differs between SQLite and PostgreSQL, and the schema must not."""
    bounds: dict[str, Any] = {}
    for validator in field._validators:
        if isinstance(validator, MinValueValidator):
            bounds["ge"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            bounds["le"] = validator.limit_value
    if field.max_length and not field.choices:
        bounds["max_length"] = field.max_length
    if isinstance(field, models.PositiveIntegerField | models.PositiveSmallIntegerField):
        bounds.setdefault("ge", 0)
    return bounds


def field_spec(field: models.Field) -> tuple[Any, Any]:
    """(type, pydantic Field) for one Django field: its default, bounds and help text."""
    kind = _python_type(field)
    if field.null:
        kind = kind | None
    info: dict[str, Any] = {"description": str(field.help_text) or None, **_bounds(field)}
    if field.has_default():
        default = field.default
        if isinstance(default, models.Choices):
            default = default.value  # the plain value, as the file writes it
        info["default_factory" if callable(default) else "default"] = default
    elif field.null:
        info["default"] = None
    elif field.blank and isinstance(field, models.CharField | models.TextField):
        info["default"] = ""
    return kind, Field(**info)


def reference(kind: str, description: str) -> tuple[Any, Any]:
    return Key | None, Field(default=None, description=f"{description} (the key of one of `{kind}`).")


def from_model(
    name: str,
    model: type[models.Model],
    fields: list[str],
    base: type[Definition] | None = None,
    keyed: bool = True,
    **extra,
) -> type[Definition]:
    """A Definition with `key` (unless not KEYED: a singleton's), FIELDS as the Django MODEL declares
    them, and EXTRA (references, nested lists); BASE (a Definition) brings validators across fields."""
    specs = {field: field_spec(model._meta.get_field(field)) for field in fields}
    return create_model(
        name,
        __base__=base or Definition,
        __doc__=model.__doc__ if model.__doc__ and not model.__doc__.startswith(model.__name__ + "(") else None,
        **({"key": (Key, Field(description=KEY_HELP))} if keyed else {}),
        **specs,
        **extra,
    )
