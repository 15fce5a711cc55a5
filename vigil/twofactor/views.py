"""Signing in with a password and then a code; enrolling an app; backup codes; an admin's reset.

Signing in is two steps. The login view checks the password (django-axes counts failures); a user
with a device is not logged in then: the session only remembers, for PENDING_MAX_AGE seconds,
who gave the right password (SESSION_PENDING), and the verify page logs them in once a code from
their device is right. A user without a device is logged in at once; an admin who must enrol is
then sent to enrolment, and until they finish, TwoFactorMiddleware keeps their session anonymous.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from vigil.access import login_required, permission_required
from vigil.audit import Actor, client_ip, record

from . import services

SESSION_PENDING = "vigil_2fa_pending"
PENDING_MAX_AGE = 300


def _actor(request, user) -> Actor:
    return Actor(user=user, ip=client_ip(request), via="web", user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


def _safe_next(request, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _signing_in_user(request):
    """Who is part-way through signing in: logged in but owing a code, or known by the password step."""
    user = getattr(request, "unverified_user", None)
    if user is not None:
        return user
    pending = request.session.get(SESSION_PENDING)
    if not pending or time.time() - pending["at"] > PENDING_MAX_AGE:
        return None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first()


def _finish(request, user, device) -> None:
    """USER gave a right code from DEVICE: their session is logged in (if it was not) and verified,
    under a new session key either way (what the session may do has just grown)."""
    pending = request.session.pop(SESSION_PENDING, None)
    if getattr(request, "unverified_user", None) is None:
        auth_login(request, user, backend=pending["backend"])
    else:
        request.session.cycle_key()
    request.user = user
    otp_login(request, device)


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        user = getattr(request, "unverified_user", None)
        if user is not None:
            # Logged in by password earlier, still owing a code: finish that instead.
            step = "two_factor:verify" if services.has_device(user) else "two_factor:enrol"
            return redirect(_with_next(step, _safe_next(request, request.GET.get("next"))))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if not services.has_device(user):
            response = super().form_valid(form)
            if services.must_enrol(user):
                return redirect(_with_next("two_factor:enrol", self.get_success_url()))
            return response
        self.request.session[SESSION_PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("two_factor:verify")


@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step: a code from the app, or a backup code."""
    user = _signing_in_user(request)
    if user is None:
        messages.error(request, "Signing in took too long, or was not started: log in again.")
        return redirect("login")
    pending = request.session.get(SESSION_PENDING) or {}
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or pending.get("next"))
    error, status = "", 200
    if request.method == "POST":
        device, wait = services.check_code(user, request.POST.get("code", ""))
        if device is not None:
            _finish(request, user, device)
            return redirect(next_url)
        record(_actor(request, user), "auth.2fa.failed", user, throttled=bool(wait))
        error = (
            f"Too many wrong codes: wait {wait} second{'s' if wait != 1 else ''}, then type the code the app shows."
            if wait
            else "That code is not right. Type the six digits the app shows now, or one of your backup codes."
        )
        status = 400
    context = {"next": next_url, "error": error, "username": user.get_username()}
    return render(request, "registration/two_factor_verify.html", context, status=status)


@require_http_methods(["GET", "POST"])
def enrol(request):
    """Set up an authenticator app: scan the QR code, type a code it shows, keep the backup codes."""
    user = request.user if request.user.is_authenticated else getattr(request, "unverified_user", None)
    if user is None:
        return redirect(_with_next("login", request.get_full_path()))
    if services.has_device(user):
        return redirect("two_factor:manage")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    error, status = "", 200
    if request.method == "POST":
        try:
            device, codes = services.do_confirm_enrolment(_actor(request, user), user, request.POST.get("code", ""))
        except services.TwoFactorError as exc:
            error, status = str(exc), 400
        else:
            request.session.cycle_key()
            request.user = user
            otp_login(request, device)
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": next_url})
    device = services.enrolment_device(user)
    context = {
        "qr": services.qr_svg(device),
        "secret": services.secret_text(device),
        "error": error,
        "next": next_url,
        "required": services.must_enrol(user),
    }
    return render(request, "registration/two_factor_enrol.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def manage(request):
    """Your two-factor sign-in: new backup codes, or turn it off (with a current code)."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "backup-codes":
                codes = services.do_new_backup_codes(_actor(request, user), user)
                return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": ""})
            if action == "turn-off":
                if services.check_code(user, request.POST.get("code", ""))[0] is None:
                    raise services.TwoFactorError("That code is not right: two-factor sign-in is still on.")
                services.do_turn_off(_actor(request, user), user)
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("two_factor:manage")
        except services.TwoFactorError as exc:
            messages.error(request, str(exc))
            return redirect("two_factor:manage")
    context = {
        "enrolled": services.has_device(user),
        "codes_left": services.backup_codes_left(user),
        "required": services.must_enrol(user),
    }
    return render(request, "registration/two_factor_manage.html", context)


@permission_required("auth.change_user")
def users(request):
    """Admins: who uses two-factor sign-in, and a reset for someone who lost their phone."""
    people = get_user_model().objects.filter(is_active=True).order_by("username")
    page = Paginator(people, 100).get_page(request.GET.get("page"))
    enrolled = set(
        services.TOTPDevice.objects.filter(confirmed=True, user__in=page.object_list).values_list("user_id", flat=True)
    )
    rows = [{"user": person, "enrolled": person.pk in enrolled} for person in page.object_list]
    return render(request, "registration/two_factor_users.html", {"page": page, "rows": rows})


@require_POST
@permission_required("auth.change_user")
def reset(request, pk: int):
    person = get_object_or_404(get_user_model(), pk=pk)
    try:
        services.do_reset(Actor.from_request(request), person)
    except services.TwoFactorError as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, f"Two-factor sign-in of {person.get_username()} is reset: they enrol again.")
    return redirect("two_factor:users")
