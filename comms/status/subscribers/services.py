"""Status page subscriptions: signing up, confirming, managing, cancelling, and the messages they get.

No login anywhere: a subscriber is named in links by a random token, signed with SECRET_KEY
(django.core.signing), so a link can be neither guessed nor altered:
- the manage link (in every message) never expires: it works as long as the subscription does,
  and cancelling deletes the subscription, so an old link then leads nowhere;
- the email confirmation link and the SMS code page expire (VIGIL_STATUS_CONFIRM_HOURS).

An email or SMS address hears nothing until confirmed; a webhook, until it has echoed the
challenge of a verification request (webhook_challenge.do_verify_webhook), so no one can point
Vigil's requests at a server that did not ask for them. Signing up an address that is already
confirmed changes nothing and sends the address its manage link instead, so the web page
answers alike whether or not an address is subscribed (no one learns who is).
Messages go through the outbox like every other: rows written now, sent after commit.

An Apprise subscriber is added by an admin in Django's admin (do_add_apprise_subscriber), never here:
its URL is a credential, so it is confirmed at once (no message goes to it to confirm), its messages
carry no manage link (it is managed, and cancelled, in the admin), and its manage link opens nothing.
"""

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from comms import messages, queueing
from comms.apprise_urls import validate_apprise_url
from comms.channels import channel_for
from comms.models import Medium, Notification, State, StatusPageBranding, Subscriber
from comms.models.subscribers import new_secret
from vigil import http
from vigil.audit import Actor, record
from vigil.queue import enqueue

Kind = Subscriber.Kind
MANAGE_SALT = "vigil.status.subscription.manage"
CONFIRM_SALT = "vigil.status.subscription.confirm"
CODE_SALT = "vigil.status.subscription.code"
CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5
# What anyone may sign up as on the public page; Apprise is admin-set only (the module docstring).
PUBLIC_KINDS = (Kind.EMAIL, Kind.SMS, Kind.WEBHOOK)
APPRISE_IS_ADMINS = (
    "Apprise subscriptions cannot be made on this page: the page's administrators set them up. "
    "Subscribe by email, text message or webhook instead."
)


class SubscriptionError(Exception):
    """The request cannot be done as things are. The message says why, in words for the public."""


def confirm_max_age() -> int:
    return settings.VIGIL_STATUS_CONFIRM_HOURS * 3600


def code_max_age() -> int:
    return settings.VIGIL_STATUS_CODE_MINUTES * 60


# --- Links ---------------------------------------------------------------------------------------


def _absolute(name: str, signed: str) -> str:
    return settings.VIGIL_BASE_URL + reverse(name, args=[signed])


def manage_url(subscriber: Subscriber) -> str:
    return manage_links()(subscriber.token)


def manage_links():
    """A function from token to manage link, for a fan-out of thousands: resolves the URL once."""
    signer = signing.Signer(salt=MANAGE_SALT)
    prefix, _, suffix = _absolute("status:subscription", "TOKEN").rpartition("TOKEN")
    return lambda token: f"{prefix}{signer.sign(token)}{suffix}"


def confirm_url(subscriber: Subscriber) -> str:
    signed = signing.TimestampSigner(salt=CONFIRM_SALT).sign(subscriber.token)
    return _absolute("status:subscribe_confirm", signed)


def code_url(subscriber: Subscriber) -> str:
    signed = signing.TimestampSigner(salt=CODE_SALT).sign(subscriber.token)
    return settings.VIGIL_BASE_URL + reverse("status:subscribe_code", args=[signed])


def _unsign(signed: str, salt: str, max_age: int | None) -> str:
    """The token in SIGNED; SubscriptionError for a forged, altered or expired link."""
    try:
        if max_age is None:
            return signing.Signer(salt=salt).unsign(signed)
        return signing.TimestampSigner(salt=salt).unsign(signed, max_age=timedelta(seconds=max_age))
    except signing.SignatureExpired:
        raise SubscriptionError("This link has expired. Subscribe again to get a new one.") from None
    except signing.BadSignature:
        raise SubscriptionError("This link is not valid. Use the link exactly as it was sent.") from None


def access_by_manage_link(signed: str) -> Subscriber:
    """The subscription a manage link names. SubscriptionError: forged, or cancelled since."""
    token = _unsign(signed, MANAGE_SALT, None)
    subscriber = Subscriber.objects.filter(token=token).first()
    if subscriber is None:
        raise SubscriptionError("This subscription no longer exists: it was cancelled.")
    if subscriber.kind == Kind.APPRISE:  # never sent one (module docstring): the admin manages it
        raise SubscriptionError("This subscription is managed by the page's administrators.")
    return subscriber


def access_pending(signed: str, salt: str, max_age: int) -> Subscriber:
    token = _unsign(signed, salt, max_age)
    subscriber = Subscriber.objects.filter(token=token).first()
    if subscriber is None:
        raise SubscriptionError("This subscription no longer exists. Subscribe again.")
    return subscriber


# --- Checking what is asked ----------------------------------------------------------------------


def check_webhook_host(url: str) -> None:
    """A webhook anyone may register must not reach Vigil's own network (SSRF). Raises SubscriptionError.

    The URL is read as the client that sends reads it, and its host's addresses checked against
    VIGIL_OUTBOUND_ALLOWED_NETWORKS (vigil.http.check). The client checks again at every request
    and connects only to the address it checked, so a host name later pointed at a private
    address is refused then too.
    """
    try:
        http.check(url)
    except http.RefusedAddress as exc:
        raise SubscriptionError(
            f"{exc.reason}. Give a webhook on a public address: private or loopback addresses are refused."
        ) from None
    except http.RefusedURL as exc:
        raise SubscriptionError(str(exc)) from None
    except http.HostNotFound:
        raise SubscriptionError("The webhook's host cannot be found: check its name.") from None
    except http.HttpError:
        raise SubscriptionError("The webhook's host could not be looked up just now: try again.") from None


# --- Rows ------------------------------------------------------------------------------------------


def _row(subscriber: Subscriber, subject: str, body: str, **fields) -> Notification:
    medium = subscriber.medium
    return Notification(
        subscriber=subscriber,
        medium=medium,
        channel=channel_for(medium),
        destination=subscriber.address,
        subject=subject[:300] if medium == Medium.EMAIL else "",
        body=body,
        **fields,
    )


def send_after_commit(rows: list[Notification]) -> None:
    Notification.objects.bulk_create(rows)
    kinds = sorted({row.channel for row in rows})
    if kinds:
        transaction.on_commit(lambda: queueing.queue_sends(kinds))


def page_name() -> str:
    """What messages call the page: "Acme status" (never "Status status": comms.models.status.status_label)."""
    return StatusPageBranding.current().status_label


def _confirmation_row(subscriber: Subscriber, code: str = "") -> Notification:
    name = page_name()
    if subscriber.kind == Kind.EMAIL:
        body = (
            f"Someone, probably you, asked to get {name} updates at this address.\n\n"
            f"Confirm here: {confirm_url(subscriber)}\n\n"
            "If it was not you, ignore this email: nothing will be sent to you unless you confirm.\n"
        )
        return _row(subscriber, f"Confirm your subscription to {name} updates", body)
    body = f"{name}: your code is {code}. Enter it on the page to confirm your subscription."
    return _row(subscriber, "", body)


def already_row(subscriber: Subscriber) -> Notification:
    """The manage link is rendered at send time (MANAGE_LINK): a stored row never holds it."""
    name = page_name()
    if subscriber.kind == Kind.WEBHOOK:
        body = json.dumps({"event": "subscription.confirmed", "manage_url": MANAGE_LINK})
        return _row(subscriber, "", body)
    if subscriber.kind == Kind.SMS:
        return _row(subscriber, "", f"{name}: you are subscribed. Manage or stop: {MANAGE_LINK}")
    body = (
        f"Someone asked to subscribe this address to {name} updates. It is subscribed already.\n\n"
        f"Manage or cancel your subscription: {MANAGE_LINK}\n"
    )
    return _row(subscriber, f"Your subscription to {name} updates", body)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _code_hash(subscriber: Subscriber, code: str) -> str:
    return salted_hmac(CODE_SALT, f"{subscriber.token}:{code}", algorithm="sha256").hexdigest()


# --- Actions ---------------------------------------------------------------------------------------


@dataclass
class Signup:
    subscriber: Subscriber
    created: bool
    secret: str = ""  # a new webhook's signing key, shown once to whoever made it


@transaction.atomic
def do_subscribe(actor: Actor, kind: str, address: str, components) -> Signup:
    """Sign ADDRESS up (already checked by comms.status.subscribers.forms) for COMPONENTS (none: all).

    New email: a confirmation link is emailed. New SMS: a code is texted. New webhook: a new signing
    key (shown once) and, after commit, a verification request from a worker (do_verify_webhook),
    so the anonymous request never waits on the subscriber's server. An unconfirmed address gets a
    fresh link, code or key and challenge (and the new choice of components); a confirmed one is
    sent its manage link and is otherwise left alone.
    """
    if kind not in PUBLIC_KINDS:
        raise SubscriptionError(APPRISE_IS_ADMINS)
    components = list(components)
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(kind=kind, address=address)
    secret = ""
    if subscriber.confirmed and not created:
        send_after_commit([already_row(subscriber)])
    elif kind == Kind.WEBHOOK:
        secret = subscriber.secret = new_secret()  # a new key is a new challenge: an old one no longer works
        subscriber.save(update_fields=["secret", "updated_at"])
        subscriber.components.set(components)
        _verify_after_commit(subscriber.pk)
    else:
        subscriber.components.set(components)
        code = ""
        if kind == Kind.SMS:
            code = new_code()
            subscriber.code_hash = _code_hash(subscriber, code)
            subscriber.code_sent_at = timezone.now()
            subscriber.code_attempts = 0
            subscriber.save(update_fields=["code_hash", "code_sent_at", "code_attempts", "updated_at"])
        send_after_commit([_confirmation_row(subscriber, code)])
    record(actor, "status_subscription.subscribe", subscriber, kind=kind, created=created)
    return Signup(subscriber, created, secret)


@transaction.atomic
def do_add_apprise_subscriber(actor: Actor, url: str, components) -> Subscriber:
    """An admin's Apprise URL, following COMPONENTS (none: all), confirmed now and sent nothing (the module
    docstring). SubscriptionError for a URL Apprise cannot use or one already subscribed; neither the
    error nor the audit entry names the URL."""
    url = url.strip()
    try:
        validate_apprise_url(url)
    except ValidationError as exc:
        raise SubscriptionError(" ".join(exc.messages)) from None
    subscriber, created = Subscriber.objects.get_or_create(
        kind=Kind.APPRISE, address=url, defaults={"confirmed_at": timezone.now()}
    )
    if not created:
        raise SubscriptionError("This Apprise URL is subscribed already: change that subscription instead.")
    subscriber.components.set(list(components))
    record(actor, "status_subscription.add", subscriber, kind=Kind.APPRISE)
    return subscriber


@transaction.atomic
def do_confirm_email(actor: Actor, subscriber: Subscriber) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.kind != Kind.EMAIL:
        raise SubscriptionError("This link does not confirm an email subscription.")
    if not subscriber.confirmed:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at", "updated_at"])
        record(actor, "status_subscription.confirm", subscriber, kind=subscriber.kind)
    return subscriber


def _verify_after_commit(subscriber_id: int) -> None:
    """A worker sends a new webhook's verification request (webhook_challenge.do_verify_webhook)."""
    # robust: with the broker down, the subscriber stays unconfirmed and may sign up again.
    enqueue("comms.tasks.verify_webhook_subscriber", subscriber_id, robust=True)


def do_confirm_sms(actor: Actor, subscriber: Subscriber, code: str) -> Subscriber:
    """Confirm with the code texted. After MAX_CODE_ATTEMPTS wrong ones, or once expired, the code is void.

    A wrong code is counted and committed before the error is raised, so no rollback forgets it.
    """
    wrong = SubscriptionError("That code is wrong or has expired. Check the text, or subscribe again for a new code.")
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if not _code_usable(subscriber):
            raise wrong
        if not hmac.compare_digest(subscriber.code_hash, _code_hash(subscriber, "".join(code.split()))):
            subscriber.code_attempts += 1
            subscriber.save(update_fields=["code_attempts", "updated_at"])
            confirmed = False
        else:
            subscriber.confirmed_at = timezone.now()
            subscriber.code_hash = ""
            subscriber.save(update_fields=["confirmed_at", "code_hash", "updated_at"])
            record(actor, "status_subscription.confirm", subscriber, kind=subscriber.kind)
            confirmed = True
    if not confirmed:
        raise wrong
    return subscriber


def _code_usable(subscriber: Subscriber) -> bool:
    if subscriber.kind != Kind.SMS or subscriber.confirmed or not subscriber.code_hash:
        return False
    fresh = subscriber.code_sent_at >= timezone.now() - timedelta(seconds=code_max_age())
    return fresh and subscriber.code_attempts < MAX_CODE_ATTEMPTS


@transaction.atomic
def do_change_components(actor: Actor, subscriber: Subscriber, components) -> Subscriber:
    components = list(components)
    subscriber.components.set(components)
    Subscriber.objects.filter(pk=subscriber.pk).update(updated_at=timezone.now())
    record(actor, "status_subscription.change", subscriber, components=[c.pk for c in components])
    return subscriber


@transaction.atomic
def do_unsubscribe(actor: Actor, subscriber: Subscriber) -> None:
    """Cancel: nothing more is sent (what is queued is cancelled) and the subscription is deleted.
    The outbox keeps its record of the messages already sent, as for everyone else."""
    Notification.objects.filter(subscriber=subscriber, state=State.QUEUED).update(
        state=State.CANCELLED, claim=None, error="The subscriber cancelled the subscription."
    )
    record(actor, "status_subscription.cancel", subscriber, kind=subscriber.kind)
    subscriber.delete()


def do_sms_stop(number: str) -> int:
    """NUMBER texted STOP (comms.services.do_sms_opt_out): its SMS subscription ends."""
    return Subscriber.objects.filter(kind=Kind.SMS, address=number).delete()[0]


# --- What subscribers get: an update's or a maintenance's texts, with their own manage link ----------


# Where a subscriber's manage link goes in a stored message. The link is a credential (it changes or cancels
# the subscription), so rows hold this and comms.outbox._message renders each one's own link as it sends.
MANAGE_LINK = "[manage link]"


def render_manage_link(body: str, link: str) -> str:
    """BODY with LINK in place of its last MANAGE_LINK: the footer's (or the webhook payload's manage_url,
    always its last key), never words of an update that happen to read the same."""
    head, found, tail = body.rpartition(MANAGE_LINK)
    return f"{head}{link}{tail}" if found else body


def footer(medium: str, link: str = MANAGE_LINK) -> str:
    if medium == Medium.EMAIL:
        return f"\n\n--\nYou get these because you subscribed on the status page.\nManage or cancel: {link}\n"
    return f"\nManage or stop: {link}"


def personal_body(medium: str, text: str, link: str = MANAGE_LINK) -> str:
    """TEXT (the words every recipient of MEDIUM shares) with the place of the subscriber's manage link;
    an Apprise subscriber's, none (the module docstring)."""
    if medium == Kind.APPRISE:
        return text
    if medium == Kind.WEBHOOK:
        payload = json.loads(text)
        return json.dumps({**payload, "manage_url": link})
    return text.rstrip("\n") + footer(medium, link)


def rows_for(subscribers, subject: str, bodies: dict[str, str], skip: set[tuple[str, str]], **fields) -> list:
    """One row per subscriber in SUBSCRIBERS (a queryset, read in chunks), but not where (medium,
    address) is in SKIP: a stakeholder who also subscribed hears once. Every row of a medium holds the
    same words, with MANAGE_LINK where the subscriber's own link is rendered at send time. Apprise sends the
    email's text with SUBJECT as its title, as to an Apprise endpoint (messages.body_part)."""
    rows = []
    kinds = {medium: channel_for(medium) for medium in Kind.values}
    parts = {medium: messages.body_part(medium) for medium in Kind.values}
    shared = {medium: personal_body(medium, bodies[part]) for medium, part in parts.items() if part in bodies}
    for subscriber in subscribers.only("pk", "kind", "address").iterator(chunk_size=2000):
        medium = subscriber.medium
        if (medium, subscriber.address) in skip or medium not in shared:
            continue
        rows.append(
            Notification(
                subscriber_id=subscriber.pk,
                medium=medium,
                channel=kinds[medium],
                destination=subscriber.address,
                subject=subject if medium in (Medium.EMAIL, Kind.APPRISE) else "",
                body=shared[medium],
                **fields,
            )
        )
    return rows


def interested(component_ids) -> "Subscriber.objects":
    return Subscriber.objects.interested_in(component_ids)
