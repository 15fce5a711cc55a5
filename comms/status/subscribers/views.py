"""Subscribing from the public status page: ordinary Django views (they may use the database), in the page's look.

CSRF: the page itself is a snapshot, the same bytes for everyone (and possibly served by a
static host), so its form cannot carry a per-visitor token. The subscribe view is therefore
csrf_exempt, and that is safe: CSRF abuses a visitor's cookies, and this view reads none (no
login, no session), so a forged cross-site POST can do nothing the forger could not do by
posting directly. What holds abuse back is the rate limit per client and per address, and
double opt-in (an email or SMS subscription sends nothing until confirmed from that address).
The confirmation text itself costs money, so texts are also capped per country and in all
(_sms_capped: SMS pumping), and a honeypot field turns away programs that fill in every field.
Every page after that (the code, the confirmation, managing) is rendered here and carries a
real CSRF token; their links' signatures (services) are what grants access.

These pages carry a signed link in their URL: they are sent with Referrer-Policy same-origin (the
link never leaves in a Referer to another site; no-referrer would make browsers send Origin: null,
which fails Django's CSRF check) and are neither cached nor indexed.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from comms.models import Subscriber
from vigil import ratelimit
from vigil.audit import Actor, client_ip

from .. import pages, public
from . import services, webhook_challenge
from .forms import CodeForm, ManageForm, SubscribeForm, public_components, sms_country

Kind = Subscriber.Kind
logger = logging.getLogger(__name__)


def render_public(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """TEMPLATE in the status page's look and engine, with a real CSRF token."""
    branding = public._branding()
    files = pages.assets(branding.accent_colour)
    common = {
        "b": branding,
        "assets": {role: path for role, (path, _, _) in files.items()},
        "root": reverse("status:page"),
        "taken_at": timezone.now(),
        "csrf_token": get_token(request),
        "subscribe_url": reverse("status:subscribe"),
        "hide_taken_at": True,
    }
    response = HttpResponse(pages.render(template, {**common, **context}), status=status, content_type=pages.HTML)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def too_many(request, retry_after: int) -> HttpResponse:
    minutes = max(1, round(retry_after / 60))
    message = (
        "Too many subscription requests have come from your network or for this address. "
        f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    response = render_public(
        request, "status/subscribe/message.html", {"title": "Too many requests", "message": message}, 429
    )
    response["Retry-After"] = str(retry_after)
    return response


def _limited(request, *identities: tuple[str, str, str]) -> int | None:
    """Count this request in each (scope, identity, rate); seconds to wait if over any."""
    for scope, identity, rate in identities:
        wait = ratelimit.hit(request, scope, identity, rate)
        if wait:
            return wait
    return None


@csrf_exempt  # see the module's docstring: no cookie is read, so there is nothing to forge
@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "GET":
        return _form_page(request, SubscribeForm())
    ip = client_ip(request) or "unknown"
    wait = _limited(request, ("subscribe-ip", ip, settings.VIGIL_STATUS_SUBSCRIBE_RATE))
    if wait:
        return too_many(request, wait)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        if form.filled_honeypot:
            logger.warning("Status page sign-up refused: the honeypot field was filled in (client %s)", ip)
        return _form_page(request, form, status=400)
    address = f"{form.kind}:{form.address}"
    wait = _limited(request, ("subscribe-address", address, settings.VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE))
    if wait:
        return too_many(request, wait)
    if form.kind == Kind.SMS:
        refused = _sms_capped(request, form.address, ip)
        if refused:
            return refused
    signup = services.do_subscribe(
        Actor.from_request(request, via="status"), form.kind, form.address, form.cleaned_data["components"]
    )
    return _signed_up(request, signup)


def _sms_capped(request, number: str, ip: str) -> HttpResponse | None:
    """SMS pumping (issue #14): a sign-up by SMS costs a text, so texts are capped per country and in
    all (VIGIL_STATUS_SMS_COUNTRY_RATE, VIGIL_STATUS_SMS_RATE). Over a cap, or when the cache cannot
    count: a page saying so, nothing stored or sent, and a log line."""
    country = sms_country(number)
    caps = (
        ("sms-country", country, settings.VIGIL_STATUS_SMS_COUNTRY_RATE, f"from numbers in {country}"),
        ("sms-all", "all", settings.VIGIL_STATUS_SMS_RATE, ""),
    )
    try:
        for scope, identity, rate, which in caps:
            wait = ratelimit.hit(request, scope, identity, rate, fail_open=False)
            if wait:
                logger.warning(
                    "SMS sign-up refused: the %s cap (%s) is reached (%s; client %s)", scope, rate, country, ip
                )
                return _sms_refused(request, wait, which, 429)
    except ratelimit.Unavailable:
        return _sms_refused(request, 60, "", 503)
    return None


def _sms_refused(request, retry_after: int, which: str, status: int) -> HttpResponse:
    minutes = max(1, round(retry_after / 60))
    reason = (
        f"Too many sign-ups by text message have been asked for{' ' + which if which else ''} lately."
        if status == 429
        else "Sign-ups by text message cannot be taken right now."
    )
    message = (
        f"{reason} Nothing was sent. Please try again in {minutes} minute{'s' if minutes != 1 else ''}, "
        "or subscribe by email instead."
    )
    response = render_public(
        request, "status/subscribe/message.html", {"title": "Text messages paused", "message": message}, status
    )
    response["Retry-After"] = str(retry_after)
    return response


def _form_page(request, form: SubscribeForm, status: int = 200) -> HttpResponse:
    context = {
        "subscribe_components": list(public_components()),
        "form_errors": " ".join(form.non_field_errors()),
        "errors": {name: list(errors) for name, errors in form.errors.items() if name != "__all__"},
        "values": form.values() if form.is_bound else {},
    }
    return render_public(request, "status/subscribe/form.html", context, status)


def _signed_up(request, signup: services.Signup) -> HttpResponse:
    subscriber = signup.subscriber
    if subscriber.kind == Kind.SMS:
        # Alike whether or not the number is subscribed already: no one learns who is.
        return HttpResponseRedirect(services.code_url(subscriber))
    if subscriber.kind == Kind.EMAIL:
        message = (
            "Check your inbox: we sent a link to confirm your subscription. "
            "Nothing will be sent to you until you follow it."
        )
        return render_public(
            request, "status/subscribe/message.html", {"title": "Confirm your email", "message": message}
        )
    # A new key means a verification request is on its way (webhook_challenge.do_verify_webhook).
    context = {
        "title": "Verify your webhook" if signup.secret else "Webhook subscribed",
        "created": bool(signup.secret),
    }
    if signup.secret:
        context.update(
            secret=signup.secret,
            manage_url=services.manage_url(subscriber),
            verify_event=webhook_challenge.VERIFY_EVENT,
        )
    return render_public(request, "status/subscribe/webhook.html", context)


def _refused(request, error: services.SubscriptionError, status: int = 400) -> HttpResponse:
    return render_public(
        request, "status/subscribe/message.html", {"title": "Link not valid", "message": str(error)}, status
    )


@require_http_methods(["GET", "POST"])
def confirm(request, signed: str):
    """The emailed link. GET shows a button (mail scanners follow links; only a person presses it)."""
    try:
        subscriber = services.access_pending(signed, services.CONFIRM_SALT, services.confirm_max_age())
        if request.method == "POST":
            services.do_confirm_email(Actor.from_request(request, via="status"), subscriber)
            return HttpResponseRedirect(services.manage_url(subscriber) + "?confirmed=1")
    except services.SubscriptionError as exc:
        return _refused(request, exc)
    return render_public(request, "status/subscribe/confirm.html", {"title": "Confirm your subscription"})


@require_http_methods(["GET", "POST"])
def code(request, signed: str):
    """Where an SMS subscriber types the code texted to them."""
    try:
        subscriber = services.access_pending(signed, services.CODE_SALT, services.code_max_age())
    except services.SubscriptionError as exc:
        return _refused(request, exc)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        wait = _limited(request, ("code-ip", client_ip(request) or "unknown", settings.VIGIL_STATUS_SUBSCRIBE_RATE))
        if wait:
            return too_many(request, wait)
        if form.is_valid():
            try:
                services.do_confirm_sms(
                    Actor.from_request(request, via="status"), subscriber, form.cleaned_data["code"]
                )
                return HttpResponseRedirect(services.manage_url(subscriber) + "?confirmed=1")
            except services.SubscriptionError as exc:
                form.add_error("code", str(exc))
        status = 400
    context = {"title": "Enter your code", "errors": form.errors.get("code", [])}
    return render_public(request, "status/subscribe/code.html", context, status)


@require_http_methods(["GET", "POST"])
def manage(request, signed: str):
    """The link in every message: choose components, or cancel. The signature is the credential."""
    try:
        subscriber = services.access_by_manage_link(signed)
    except services.SubscriptionError as exc:
        return _refused(request, exc, status=404 if "no longer" in str(exc) else 400)
    actor = Actor.from_request(request, via="status")
    form = ManageForm(request.POST or None, initial={"components": list(subscriber.components.all())})
    status, saved = 200, False
    if request.method == "POST" and "cancel" in request.POST:
        services.do_unsubscribe(actor, subscriber)
        message = "You are unsubscribed: nothing more will be sent to you, and your subscription is deleted."
        return render_public(request, "status/subscribe/message.html", {"title": "Unsubscribed", "message": message})
    if request.method == "POST":
        if form.is_valid():
            services.do_change_components(actor, subscriber, form.cleaned_data["components"])
            saved = True
        else:
            status = 400
    chosen = {c.pk for c in subscriber.components.all()}
    context = {
        "title": "Your subscription",
        "subscriber": _shown(subscriber),
        "subscribe_components": list(public_components()),
        "chosen": chosen,
        "errors": form.errors.get("components", []),
        "saved": saved,
        "confirmed_now": request.GET.get("confirmed") == "1",
    }
    return render_public(request, "status/subscribe/manage.html", context, status)


def _shown(subscriber: Subscriber) -> dict:
    """What the manage page shows of the subscription: to whoever holds its link, so its owner."""
    return {
        "kind": subscriber.get_kind_display(),
        "address": subscriber.address,
        "confirmed": subscriber.confirmed,
    }
