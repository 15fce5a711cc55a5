"""The on-call forms. They check shapes and the limits the server keeps (so inputs carry them too);
the rules of the domain are incidents.oncall.services', whose errors the views put beside the fields."""

from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from incidents.models import Rotation, Schedule
from incidents.models.oncall import ALL_DAYS, WEEKDAYS, days_mask, known_time_zones, mask_days
from vigil.people import display_name, people


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; Django reads its value in the viewer's zone."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    """People named as on every page, message, calendar and API answer (vigil.people)."""

    def label_from_instance(self, user) -> str:
        return display_name(user)


def _people(schedule, exclude=None):
    """Active users, the schedule's rotation members first."""
    members = schedule.rotations.values("members__user")
    users = people()
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

    user = PersonChoiceField(queryset=None, label="Who", empty_label=None)
    reason = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))
    field_order = ["user", "starts_at", "ends_at", "reason"]

    def __init__(self, *args, schedule, user, may_manage: bool, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("user", user.pk)
        super().__init__(*args, prefix="override", **kwargs)
        people = _people(schedule) if may_manage else get_user_model().objects.filter(pk=user.pk)
        self.fields["user"].queryset = people


class SwapRequestForm(PeriodForm):
    """Ask someone to take a stretch of your shifts."""

    covering_user = PersonChoiceField(queryset=None, label="Ask")
    message = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))
    field_order = ["covering_user", "starts_at", "ends_at", "message"]

    def __init__(self, *args, schedule, user, **kwargs):
        super().__init__(*args, prefix="swap", **kwargs)
        self.fields["covering_user"].queryset = _people(schedule, exclude=user)


# --- Schedules and their layers (admins) ---------------------------------------------------------


class ScheduleForm(forms.ModelForm):
    """Name, team and the zone whose clock the hand-offs follow. The zone is typed with suggestions
    (a list of ~600 would be a poor <select> on a phone) and checked against the same list."""

    class Meta:
        model = Schedule
        fields = ["name", "description", "team", "time_zone"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "time_zone": forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {"time_zone": "Hand-offs follow this zone's clock, e.g. Europe/Paris or America/New_York."}

    @staticmethod
    def time_zones() -> list[str]:
        return sorted(known_time_zones())


class ZonedDateTimeField(forms.DateTimeField):
    """A date and time on one zone's clock (a schedule's), whoever's browser sends it: a layer's
    first hand-off at 09:00 means 09:00 where the schedule is, as its daily window does."""

    def __init__(self, *, tz, **kwargs):
        self.tz = tz
        super().__init__(widget=LocalDateTimeInput(), **kwargs)

    def prepare_value(self, value):
        with timezone.override(self.tz):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(self.tz):
            return super().to_python(value)


class TimeOfDayInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


# The fields of a rotation the dashboard edits (its members are a formset of their own).
ROTATION_FIELDS = [
    "name", "starts_at", "shift_length", "shift_unit", "priority", "active_from", "active_until", "days",
]  # fmt: skip


class DaysField(forms.TypedMultipleChoiceField):
    """Days of the week as checkboxes Mon..Sun, cleaned to Rotation.days' bits."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=list(WEEKDAYS.items()),
            coerce=int,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "oncall-days"}),
            error_messages={"required": "Pick at least one day of the week."},
            **kwargs,
        )

    def prepare_value(self, value):
        return mask_days(value) if isinstance(value, int) else value

    def clean(self, value) -> int:
        return days_mask(super().clean(value))

    def has_changed(self, initial, data) -> bool:
        initial = initial if isinstance(initial, int) else days_mask(initial or [])
        return initial != days_mask(data or [])


class RotationForm(forms.ModelForm):
    """A layer: when turns start, how long each lasts, which layer wins, and the daily window.

    A window that ends before it starts is read as running past midnight only when the admin
    says so: 17:00 to 09:00 typed for 09:00 to 17:00 would otherwise cover the nights instead."""

    shift_length = forms.IntegerField(min_value=1, max_value=Rotation.MAX_LENGTH[Rotation.Unit.HOURS], initial=1)
    # The API's bounds (incidents.oncall.api.serializers).
    priority = forms.IntegerField(
        min_value=-1000,
        max_value=1000,
        label="Layer priority",
        help_text="Where two layers cover the same moment, the higher number wins.",
    )
    overnight = forms.BooleanField(
        required=False,
        label="Runs past midnight",
        help_text="Tick for a window such as 22:00 to 06:00 the next morning.",
    )
    days = DaysField(
        label="On",
        help_text="The days the window opens on: Fri with 18:00 to 06:00 covers Friday night into Saturday.",
    )

    class Meta:
        model = Rotation
        fields = ROTATION_FIELDS
        labels = {"shift_unit": "Unit", "active_from": "Covers from", "active_until": "Covers until"}
        widgets = {"active_from": TimeOfDayInput(), "active_until": TimeOfDayInput()}

    def __init__(self, *args, schedule: Schedule, **kwargs):
        super().__init__(*args, **kwargs)
        zone = schedule.time_zone
        self.fields["starts_at"] = ZonedDateTimeField(
            tz=schedule.tz,
            label=f"First hand-off ({zone} time)",
            help_text="Turns start here, and hand off at this time of day.",
        )
        self.fields["shift_length"].label = "Each turn lasts"
        self.fields["active_from"].help_text = f"Leave both empty to cover the whole day. Times in {zone}."
        self.initial.setdefault("days", ALL_DAYS)
        rotation = self.instance
        if rotation.active_from and rotation.active_until and rotation.active_until < rotation.active_from:
            self.fields["overnight"].initial = True

    def clean(self):
        data = super().clean()
        start, until = data.get("active_from"), data.get("active_until")
        wraps = start is not None and until is not None and until < start
        if wraps and not data.get("overnight"):
            self.add_error(
                "active_until",
                f"Ends before it starts ({until:%H:%M} is before {start:%H:%M}). For a night window, tick "
                "'Runs past midnight'; otherwise make it end later.",
            )
        elif data.get("overnight") and not wraps:
            self.add_error(
                "overnight", "This window does not run past midnight: give both times, the end before the start."
            )
        return data

    @staticmethod
    def initial_for(schedule: Schedule, now: datetime) -> dict:
        """A new layer: on top of the others, turns of a week from today 09:00 on the schedule's clock."""
        today = timezone.localtime(now, schedule.tz).date()
        top = max((r.priority for r in schedule.rotations.all()), default=-1)
        starts_at = datetime.combine(today, time(9), tzinfo=schedule.tz)
        return {"starts_at": starts_at, "priority": top + 1, "shift_length": 1, "shift_unit": Rotation.Unit.WEEKS}


class MemberForm(forms.Form):
    """One person's turn. The choices are built once for the whole formset: one query, however many rows."""

    user = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Person")

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = choices


class BaseMemberFormSet(forms.BaseFormSet):
    """A layer's people in hand-off order: change the numbers to reorder, tick to remove, fill a
    blank row to add. Order, removals and the rule "each person once" are read here and checked
    by the action (incidents.oncall.services.check_members), as the API's are."""

    def __init__(self, *args, people, **kwargs):
        self.people = {user.pk: user for user in people}
        named = sorted(self.people.values(), key=lambda u: (display_name(u).casefold(), u.pk))
        choices = [("", "—")] + [(u.pk, display_name(u) + ("" if u.is_active else " (left)")) for u in named]
        super().__init__(*args, form_kwargs={"choices": choices}, **kwargs)

    def members(self) -> list:
        """The people kept, in the order given (rows without a number last, as listed)."""
        return [self.people[f.cleaned_data["user"]] for f in self.ordered_forms if f.cleaned_data.get("user")]


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=2,
    can_order=True,
    can_delete=True,
    max_num=200,
    absolute_max=200,
    validate_max=True,
)


def people_for(rotation: Rotation | None):
    """Who can be picked: active people, and the layer's current members even if they left (so the
    form shows them, and saving says they must go rather than dropping them unseen)."""
    users = people()
    if rotation is not None and rotation.pk:
        users = users | get_user_model().objects.filter(pk__in=rotation.members.values("user"))
    return users.distinct()


def member_initial(rotation: Rotation | None) -> list[dict]:
    if rotation is None or not rotation.pk:
        return []
    return [{"user": m.user_id} for m in rotation.members.order_by("position", "id")]
