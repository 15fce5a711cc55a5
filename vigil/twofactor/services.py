"""Two-factor rules and actions, on django-otp's TOTP and static (backup code) devices.

Invariants:
- A session is verified when django-otp's OTPMiddleware finds, in the session, the confirmed device
  of this user that verified it (django_otp.login). Deleting a user's devices (turning two-factor
  off, or an admin's reset) therefore unverifies every session of theirs at its next request.
- A user has at most one TOTP device and one backup-code device, named TOTP_NAME and BACKUP_NAME.
  An unconfirmed TOTP device is an enrolment in progress: its QR code stays the same across
  reloads until a code from the app confirms it.
- Backup codes are shown once, when made; each works once (django-otp deletes it when used).
- Wrong codes are throttled by django-otp, per device: after n failures in a row the next try
  waits 2^(n-1) seconds. A failed try is committed even though nothing else changes.
"""

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.audit import Actor, record
from vigil.roles import Role, role_of

TOTP_NAME = "authenticator app"
BACKUP_NAME = "backup codes"
BACKUP_CODES = 10
# Set by accounts.sessions.mark_signed_in_by_provider: {"provider": "oidc" | "saml", "user": pk}.
SESSION_PROVIDER = "vigil_signed_in_by"


class TwoFactorError(Exception):
    """The request cannot be done as things are; the message says why, in words for the user."""


# --- Who must give a code -------------------------------------------------------------------------


def is_admin(user) -> bool:
    return bool(user.is_superuser or user.is_staff or role_of(user) == Role.ADMIN)


def must_enrol(user) -> bool:
    """USER may not use Vigil without a device (VIGIL_REQUIRE_ADMIN_2FA, admins only)."""
    return settings.VIGIL_REQUIRE_ADMIN_2FA and is_admin(user)


def has_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def signed_in_by_provider(request) -> str | None:
    """The identity provider that signed this session's user in (it did the second factor), or None."""
    mark = request.session.get(SESSION_PROVIDER) if hasattr(request, "session") else None
    if mark and request.user.is_authenticated and mark.get("user") == request.user.pk:
        return mark.get("provider")
    return None


def owes_code(user) -> bool:
    """A signed-in USER (from OTPMiddleware) whose session is not verified but must be."""
    if not user.is_authenticated or user.is_verified():
        return False
    return has_device(user) or must_enrol(user)


# --- Enrolment ------------------------------------------------------------------------------------------


def enrolment_device(user) -> TOTPDevice:
    """USER's enrolment in progress (an unconfirmed TOTP device), made on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// link as a QR code, inline SVG drawn here (no script, nothing fetched)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=3, dark="#000", light="#fff")


def secret_text(device: TOTPDevice) -> str:
    """The key as apps ask for it when typed by hand: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def do_confirm_enrolment(actor: Actor, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm USER's enrolment with a CODE from the app: returns the device and the new backup codes
    (shown once).

    TwoFactorError when the code is wrong (the failure is committed first, for the throttle).
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise TwoFactorError("There is no enrolment in progress: start again.")
        accepted = device.verify_token(_clean(code))
        if accepted:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_backup_codes(user)
            record(actor, "auth.2fa.enrol", user)
    if not accepted:
        raise TwoFactorError("That code is not right. Type the six digits the app shows now.")
    return device, codes


@transaction.atomic
def do_new_backup_codes(actor: Actor, user) -> list[str]:
    """Replace USER's backup codes (the old ones stop working); returns the new ones, shown once."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TwoFactorError("Set up an authenticator app first.")
    codes = _new_backup_codes(user)
    record(actor, "auth.2fa.backup_codes", user)
    return codes


def _new_backup_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Checking a code ------------------------------------------------------------------------------------


def _clean(code: str) -> str:
    return "".join(str(code).split()).lower()


def check_code(user, code: str) -> tuple[object | None, int]:
    """(the device of USER that accepts CODE, 0), or (None, seconds to wait before another try: 0
    when the code was simply wrong). Six digits: the app; else a backup code.

    Only the device the code's shape names is tried, so a mistyped app code does not count against
    the backup codes' throttle. The select_for_update stops two requests spending one code twice.
    """
    code = _clean(code)
    kind = TOTPDevice if code.isdigit() and len(code) <= 8 else StaticDevice
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if not isinstance(device, kind):
                continue
            allowed, data = device.verify_is_allowed()
            if not allowed:
                return None, _seconds_until((data or {}).get("locked_until"))
            if device.verify_token(code):
                return device, 0
    return None, 0


def _seconds_until(moment) -> int:
    return max(1, int((moment - timezone.now()).total_seconds()) + 1) if moment else 1


# --- Turning it off -----------------------------------------------------------------------------------------


@transaction.atomic
def do_turn_off(actor: Actor, user) -> None:
    """USER turns two-factor off (the view has checked a current code). Refused when it is required."""
    if must_enrol(user):
        raise TwoFactorError("Admins must use two-factor sign-in here: it cannot be turned off.")
    _delete_devices(user)
    record(actor, "auth.2fa.turn_off", user)


@transaction.atomic
def do_reset(actor: Actor, user) -> None:
    """An admin clears USER's devices (a lost phone): USER signs in with the password alone, and
    enrols again at once if they must. Every session of USER is unverified at its next request."""
    if actor.user is None or not actor.user.has_perm("auth.change_user"):
        raise TwoFactorError("Only an admin may reset someone's two-factor sign-in.")
    removed = _delete_devices(user)
    record(actor, "auth.2fa.reset", user, username=user.get_username(), devices=removed)


def _delete_devices(user) -> int:
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    return removed
