from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Value, When


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; Django reads its value in the viewer's zone."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _people(schedule, exclude=None):
    """Active users, the schedule's rotation members first."""
    members = schedule.rotations.values("members__user")
    users = get_user_model().objects.filter(is_active=True)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    first = Case(When(pk__in=members, then=Value(0)), default=Value(1), output_field=IntegerField())
    return users.order_by(first, "username")


class PeriodForm(forms.Form):
    starts_at = forms.DateTimeField(label="From", widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label="To", widget=LocalDateTimeInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "Must be after the start.")
        return data


class OverrideForm(PeriodForm):
    """Who covers, from, to, why. Someone who may not manage the schedule can only name themselves."""

    user = forms.ModelChoiceField(queryset=None, label="Who", empty_label=None)
    reason = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))
    field_order = ["user", "starts_at", "ends_at", "reason"]

    def __init__(self, *args, schedule, user, may_manage: bool, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("user", user.pk)
        super().__init__(*args, prefix="override", **kwargs)
        people = _people(schedule) if may_manage else get_user_model().objects.filter(pk=user.pk)
        self.fields["user"].queryset = people


class SwapRequestForm(PeriodForm):
    """Ask someone to take a stretch of your shifts."""

    covering_user = forms.ModelChoiceField(queryset=None, label="Ask")
    message = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))
    field_order = ["covering_user", "starts_at", "ends_at", "message"]

    def __init__(self, *args, schedule, user, **kwargs):
        super().__init__(*args, prefix="swap", **kwargs)
        self.fields["covering_user"].queryset = _people(schedule, exclude=user)
