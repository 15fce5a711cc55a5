"""A model's refusal, answered by the API the way a serializer's own errors are."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


@contextmanager
def model_errors(serializer):
    """The model's refusal (Monitor.clean, MaintenanceWindow.clean, MentionSource.clean) as a 400
    naming the fields.

    A message about a field the serializer does not have (a probe setting it derives) goes to
    non_field_errors, so every error names something the client sent.
    """
    try:
        yield
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        errors = {name: messages for name, messages in detail.items() if name in serializer.fields}
        stray = [message for name, messages in detail.items() if name not in serializer.fields for message in messages]
        if stray:
            errors[NON_FIELD] = stray
        raise ValidationError(errors) from exc
