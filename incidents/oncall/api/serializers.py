"""API shapes for schedules, rotations, overrides, swap requests and who is on call.

Validation of the domain (periods, who may act) lives in incidents.oncall.services;
these check types and ranges, so nothing odd reaches the arithmetic or the database.
"""

from datetime import UTC, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Override, Rotation, Schedule, SwapRequest, Team
from incidents.models.oncall import ALL_DAYS, EARLIEST, LATEST, WEEKDAYS, days_mask, mask_days
from vigil.people import display_name, people
from vigil.privacy import SensitiveFieldsMixin

from .. import ical

User = get_user_model()
MAX_ID = 2**63 - 1
LONGEST_WINDOW = timedelta(days=92)


def _active_users():
    return people()


def check_moment(value):
    if not EARLIEST <= value < LATEST:
        raise serializers.ValidationError(f"Must be between {EARLIEST.year} and {LATEST.year}.", code="invalid")
    return value


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="Full name, or the username when there is none.")

    def to_representation(self, user):
        return {"id": user.pk, "username": user.get_username(), "name": display_name(user)}


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "09:00"}
)
class WallClockField(serializers.TimeField):
    """A local time of day in the schedule's zone, HH:MM[:SS]. (OpenAPI's `time` format demands an offset.)"""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M:%S", **kwargs)


DAY_NAMES = {name.lower(): iso for iso, name in WEEKDAYS.items()}


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(DAY_NAMES)},
        "minItems": 1,
        "maxItems": 7,
        "example": ["mon", "tue", "wed", "thu", "fri"],
    }
)
class DaysField(serializers.Field):
    """Days of the week as names, Monday first ("mon" ... "sun"); stored as Rotation.days' bits."""

    default_error_messages = {
        "invalid": 'Expected a list of day names: "mon", "tue", "wed", "thu", "fri", "sat", "sun".',
        "empty": "Pick at least one day of the week.",
    }

    def to_representation(self, mask: int) -> list[str]:
        return [WEEKDAYS[d].lower() for d in mask_days(mask)]

    def to_internal_value(self, data) -> int:
        if not isinstance(data, list) or len(data) > 7 or not all(isinstance(d, str) for d in data):
            self.fail("invalid")
        if any(d.lower() not in DAY_NAMES for d in data):
            self.fail("invalid")
        if not data:
            self.fail("empty")
        return days_mask(DAY_NAMES[d.lower()] for d in data)


class MembersField(serializers.ListField):
    """A rotation's people as user ids, in hand-off order.

    An unknown id is an error on `members` itself, not on `members.<index>`: the
    API's documented error shapes name fields, not list positions.
    """

    def get_attribute(self, rotation):
        return [m.user for m in rotation.members.all()]

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError([e for errors in exc.detail.values() for e in errors]) from exc


class RotationSerializer(serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    members = MembersField(
        child=serializers.PrimaryKeyRelatedField(queryset=_active_users()),
        required=False,
        max_length=200,
        help_text="User ids in hand-off order: at least one, each person once.",
    )
    starts_at = serializers.DateTimeField(validators=[check_moment], help_text="The first hand-off.")
    active_from = WallClockField(
        required=False,
        allow_null=True,
        help_text="Daily coverage starts (schedule's zone); empty with active_until: all day.",
    )
    active_until = WallClockField(
        required=False, allow_null=True, help_text="Daily coverage ends; before active_from wraps midnight."
    )
    days = DaysField(
        default=ALL_DAYS,
        help_text="Days of the week the daily window opens on (a window from Friday 18:00 to 06:00 is Friday's). "
        "Default: every day.",
    )

    class Meta:
        model = Rotation
        fields = [
            "id", "schedule", "name", "starts_at", "shift_length", "shift_unit", "priority",
            "active_from", "active_until", "days", "members",
        ]  # fmt: skip
        extra_kwargs = {
            "shift_length": {"min_value": 1, "max_value": Rotation.MAX_LENGTH[Rotation.Unit.HOURS]},
            "priority": {"min_value": -1000, "max_value": 1000, "help_text": "The higher layer wins."},
        }


class ScheduleSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    rotations = RotationSerializer(many=True, read_only=True)
    ical_url = serializers.SerializerMethodField(help_text="iCalendar feed of this schedule; the URL is the secret.")

    class Meta:
        model = Schedule
        fields = ["id", "name", "description", "team", "time_zone", "ical_url", "rotations", "created_at"]
        read_only_fields = ["created_at"]
        sensitive_fields = ["ical_url"]  # vigil.privacy: the URL is a password; viewers see it masked
        extra_kwargs = {"time_zone": {"help_text": "IANA zone the hand-offs follow, e.g. Europe/Paris."}}

    def get_ical_url(self, schedule) -> str:
        return ical.schedule_feed_url(schedule)


class OverrideSerializer(serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    user = serializers.PrimaryKeyRelatedField(
        queryset=_active_users(), required=False, help_text="Who covers; you when left out."
    )
    starts_at = serializers.DateTimeField(validators=[check_moment])
    ends_at = serializers.DateTimeField(validators=[check_moment])
    created_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    swap = serializers.SerializerMethodField(help_text="The swap request this override came from, if any.")

    class Meta:
        model = Override
        fields = ["id", "schedule", "user", "starts_at", "ends_at", "reason", "created_by", "created_at", "swap"]
        read_only_fields = ["created_at"]

    def get_swap(self, override) -> int | None:
        swap = getattr(override, "swap", None)
        return swap.pk if swap is not None else None


class SwapRequestSerializer(serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    requester = serializers.PrimaryKeyRelatedField(read_only=True)
    covering_user = serializers.PrimaryKeyRelatedField(queryset=_active_users(), help_text="Who is asked to cover.")
    starts_at = serializers.DateTimeField(validators=[check_moment])
    ends_at = serializers.DateTimeField(validators=[check_moment])
    override = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = SwapRequest
        fields = [
            "id", "schedule", "requester", "covering_user", "starts_at", "ends_at", "message", "status",
            "override", "created_at", "decided_at",
        ]  # fmt: skip
        read_only_fields = ["status", "created_at", "decided_at"]


class ShiftSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    user = UserRefSerializer()
    source = serializers.ChoiceField(choices=["rotation", "override"])
    rotation = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()

    def get_rotation(self, shift) -> int | None:
        return shift.rotation.pk if shift.rotation is not None else None

    def get_override(self, shift) -> int | None:
        return shift.override.pk if shift.override is not None else None


class OnCallSerializer(serializers.Serializer):
    """One schedule at the moment asked about."""

    schedule = serializers.IntegerField(source="schedule.pk")
    name = serializers.CharField(source="schedule.name")
    time_zone = serializers.CharField(source="schedule.time_zone")
    users = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    until = serializers.DateTimeField(allow_null=True, help_text="When the person on call hands off (null: not soon).")

    @extend_schema_field(UserRefSerializer(many=True))
    def get_users(self, outlook):
        return [UserRefSerializer(outlook.current.user).data] if outlook.current else []

    def get_source(self, outlook) -> str | None:
        return outlook.current.source if outlook.current else None


class OnCallResponseSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    schedules = OnCallSerializer(many=True)


# --- Query parameters ---------------------------------------------------------------


def _moment(help_text: str) -> serializers.DateTimeField:
    # A query parameter without an offset is read as UTC, whoever asks.
    return serializers.DateTimeField(
        required=False, validators=[check_moment], default_timezone=UTC, help_text=help_text
    )


class PersonalFeedSerializer(serializers.Serializer):
    user = serializers.CharField(source="username", help_text="Whose calendar.")
    url = serializers.URLField(
        allow_null=True,
        help_text="The iCalendar feed of their shifts on every schedule: a password, shown to its owner only "
        "(null when an admin rotated someone else's).",
    )


class PersonalFeedRotateSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, help_text="Admins: whose link to rotate (default: yours)."
    )


class OnCallQuerySerializer(serializers.Serializer):
    at = _moment("ISO 8601 moment (default now; no offset means UTC).")


class ShiftQuerySerializer(serializers.Serializer):
    start = _moment("Default now.")
    end = _moment("Default 14 days after start; at most 92 days after it.")

    def validate(self, data):
        start = data.setdefault("start", timezone.now())
        end = data.setdefault("end", start + timedelta(days=14))
        if end <= start:
            raise serializers.ValidationError({"end": "Must be after start."}, code="invalid")
        if end - start > LONGEST_WINDOW:
            raise serializers.ValidationError({"end": f"At most {LONGEST_WINDOW.days} days after start."})
        return data


class OverrideFilterSerializer(serializers.Serializer):
    schedule = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Only this schedule.")
    user = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Only this person.")
    upcoming = serializers.BooleanField(required=False, default=False, help_text="Only overrides not yet over.")


class SwapFilterSerializer(serializers.Serializer):
    schedule = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Only this schedule.")
    status = serializers.ChoiceField(choices=SwapRequest.Status.choices, required=False, help_text="Only this status.")
