"""The webhooks providers call: Twilio's status callbacks and inbound SMS, SendGrid's event webhook,
Vonage's SMS delivery receipts (a secret token in the URL: comms.channels.vonage.dlr_token), a Vonage call's
events (the row's signed id in the URL) and the key pressed during a Vonage call (the page's signed token in
the URL); both Vonage voice hooks also require Vonage's JWT when VONAGE_SIGNATURE_SECRET is set.

No login and no CSRF token: the signature is the credential. Twilio signs with the account's
auth token (X-Twilio-Signature, checked against VIGIL_BASE_URL + the path); SendGrid signs
with an ECDSA key whose public half is SENDGRID_WEBHOOK_PUBLIC_KEY. Unsigned or forged: 403.
SendGrid's signature covers its timestamp header; a timestamp more than SENDGRID_MAX_AGE seconds
from now (a recorded request played again later) is refused like a forgery.
"""

import hashlib
import hmac
import json
import logging
import time
from functools import lru_cache

import jwt
from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from sendgrid.helpers.eventwebhook import EventWebhook, EventWebhookHeader
from twilio.twiml.messaging_response import MessagingResponse
from vonage_jwt.errors import VonageVerifyJwtError
from vonage_jwt.verify_jwt import verify_signature
from vonage_voice import Talk

from incidents import paging
from incidents.services import ActionError as IncidentActionError

from . import delivery, failover, services
from .acknowledge import acknowledge_by_token
from .channels import vonage, vonage_voice
from .views import twilio_signature_ok

logger = logging.getLogger(__name__)

# Twilio's own keywords (matched as Twilio does: the whole text, any case), so Vigil's record of
# who opted out agrees with the numbers Twilio blocks.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_TEXT = "Vigil: reply ACK and the code in a page to acknowledge it, STOP for no more texts, START to resume."
# How far a signed SendGrid event post's timestamp may be from now, either way (seconds).
SENDGRID_MAX_AGE = 600


@csrf_exempt
@require_POST
def twilio_status(request, pk: int):
    """Twilio posts a message's or a call's status here (the URL each send gave, with its row id)."""
    if not twilio_signature_ok(request):
        return HttpResponseForbidden("Bad Twilio signature.")
    report = delivery.twilio_report(request.POST)
    if report is not None:
        _take(pk, "twilio", request.POST.get("To", ""), report)
    return HttpResponse(status=204)


def _take(pk: int, provider: str, number: str, report: delivery.Report) -> None:
    """PROVIDER's REPORT on row PK. A failover row's failure may send it on to the next provider instead
    (comms.failover.take_report: SMS and calls alike); anything else moves the row (comms.delivery)."""
    if not failover.take_report(pk, provider, report.state, report.provider_id, report.error):
        delivery.apply([(pk, number, report)])


@csrf_exempt
def vonage_dlr(request, token: str):
    """Vonage's SMS delivery receipt (GET or POST, form or JSON), at the URL each send gave. Vonage signs
    receipts only when the account's signed webhooks are on, so the token in the URL is the credential."""
    if not (settings.VONAGE_API_SECRET and hmac.compare_digest(token, vonage.dlr_token())):
        return HttpResponseForbidden("Bad token.")
    fields = request.GET.dict() if request.method == "GET" else request.POST.dict()
    if request.method == "POST" and request.content_type == "application/json":
        try:
            fields = json.loads(request.body)
        except ValueError:
            return HttpResponseBadRequest("Not JSON.")
    found = delivery.vonage_report(fields) if isinstance(fields, dict) else None
    if found is not None:
        pk, number, report = found
        _take(pk, "vonage", number, report)
    return HttpResponse(status=204)  # Vonage retries a receipt until it gets a 2xx


@csrf_exempt
@require_POST
def vonage_voice_event(request, token: str):
    """Vonage's event webhook for a call Vigil made (each call's event_url, comms.channels.vonage_voice): answered
    or completed is delivered; unanswered, busy, failed, rejected, timeout or cancelled is failed, and a failover
    row may then go to the next voice provider (_take), as with Twilio's status callback.

    The token in the URL signs the row's id (vonage_voice.event_token): a forged or altered one names no row and
    gets 403, changing nothing. With VONAGE_SIGNATURE_SECRET set, Vonage's signed-webhook JWT over the body is
    required too, as for the key pressed (vonage_voice_ack)."""
    if settings.VONAGE_SIGNATURE_SECRET and not vonage_signature_ok(request):
        return HttpResponseForbidden("Bad Vonage signature.")
    pk = vonage_voice.event_row(token)
    if pk is None:
        return HttpResponseForbidden("Bad token.")
    try:
        fields = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("Not JSON.")
    report = delivery.vonage_call_report(fields) if isinstance(fields, dict) else None
    if report is not None:
        _take(pk, "vonage", "", report)  # the signed token names the row: no number to check it by
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def vonage_voice_ack(request, token: str):
    """The key pressed during a Vonage page call (its NCCO's input action, comms.channels.vonage_voice): 1
    acknowledges as the person paged, by the link's rule (comms.acknowledge: once, and only while they may).
    Answered with an NCCO that says the result; a token that names no page gets 404 and no words.

    Vonage signs webhooks only when the account's signed webhooks are on (Authorization: Bearer, a JWT
    signed with the signature secret, its payload_hash the body's SHA-256): with VONAGE_SIGNATURE_SECRET
    set, an unsigned or forged request is refused (403). Without it, the page's signed token in the URL is
    the credential, as in the page's link: forging a key press needs the token, which is the whole secret.
    """
    if settings.VONAGE_SIGNATURE_SECRET and not vonage_signature_ok(request):
        return HttpResponseForbidden("Bad Vonage signature.")
    try:
        fields = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("Not JSON.")
    dtmf = fields.get("dtmf") if isinstance(fields, dict) else None
    if isinstance(dtmf, dict) and dtmf.get("digits") == "1":
        status, words = acknowledge_by_token(token, "voice")
    else:
        status, words = _read_only(token)
    if status == 404:
        return HttpResponse(words, status=404, content_type="text/plain; charset=utf-8")
    # 200 whatever the outcome (already used, expired): Vonage reads the NCCO of a 2xx answer only.
    return JsonResponse([Talk(text=words).model_dump(mode="json", exclude_none=True)], safe=False)


def _read_only(token: str) -> tuple[int, str]:
    """Another key, or none before the timeout: nothing is done, once the token is known to be Vigil's."""
    try:
        paging.read_ack_token(token)
    except signing.BadSignature:
        return 404, "This page is no longer valid."
    return 200, "Not acknowledged. Goodbye."


def vonage_signature_ok(request) -> bool:
    """Vonage's webhook JWT, signed with VONAGE_SIGNATURE_SECRET (vonage_jwt), over this very body."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        if not verify_signature(token, settings.VONAGE_SIGNATURE_SECRET):
            return False
    except VonageVerifyJwtError:  # malformed, expired
        return False
    claims = jwt.decode(token, options={"verify_signature": False})  # verified just above
    digest = hashlib.sha256(request.body).hexdigest()
    return hmac.compare_digest(str(claims.get("payload_hash", "")), digest)


@csrf_exempt
@require_POST
def twilio_sms(request):
    """A text to Vigil's number: STOP and START (and Twilio's other keywords), or ACK <code>. Answered in TwiML."""
    if not twilio_signature_ok(request):
        return HttpResponseForbidden("Bad Twilio signature.")
    answer = MessagingResponse()
    answer.message(_reply(request.POST.get("From", ""), request.POST.get("Body", "")))
    return HttpResponse(str(answer), content_type="text/xml")


def _reply(number: str, body: str) -> str:
    text = " ".join(body.split()).upper()
    if text in OPT_OUT_WORDS:
        services.do_sms_opt_out(number)
        return "Vigil: you will get no more texts from this number. Reply START to get them again."
    if text in OPT_IN_WORDS:
        services.do_sms_opt_in(number)
        return "Vigil: you will get texts from this number again. Reply STOP to stop them."
    words = text.split()
    if words and words[0] == "ACK":
        code = words[1].strip("#:.") if len(words) > 1 else ""
        try:
            incident = services.do_acknowledge_by_sms(number, code)
        except (services.ActionError, IncidentActionError) as exc:
            return f"Vigil: {exc}"
        return f"Vigil: acknowledged #{incident.pk} {incident.title}."
    return HELP_TEXT


@csrf_exempt
@require_POST
def sendgrid_events(request):
    """SendGrid's signed event webhook: a JSON array of events about the emails sent."""
    if not sendgrid_signature_ok(request):
        return HttpResponseForbidden("Bad SendGrid signature.")
    try:
        events = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("Not JSON.")
    if not isinstance(events, list):
        return HttpResponseBadRequest("Expected a JSON array of events.")
    delivery.apply(delivery.sendgrid_reports(events))
    return HttpResponse(status=204)


def sendgrid_signature_ok(request) -> bool:
    key = settings.SENDGRID_WEBHOOK_PUBLIC_KEY
    signature = request.headers.get(EventWebhookHeader.SIGNATURE, "")
    timestamp = request.headers.get(EventWebhookHeader.TIMESTAMP, "")
    if not (key and signature and timestamp):
        return False
    if not _recent(timestamp):
        logger.warning(
            "A SendGrid event post signed at %r, not within %d s of now: refused", timestamp[:20], SENDGRID_MAX_AGE
        )
        return False
    try:
        verifier = _verifier(key)
    except (ValueError, TypeError):
        logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not an ECDSA public key: SendGrid's events are refused")
        return False
    try:
        return verifier.verify_signature(request.body.decode(), signature, timestamp)
    except (ValueError, TypeError):  # not base64, not UTF-8, not a signature of this kind of key
        return False


def _recent(timestamp: str) -> bool:
    """TIMESTAMP (Unix seconds, as SendGrid sends it) is within SENDGRID_MAX_AGE of now."""
    try:
        return abs(time.time() - int(timestamp)) <= SENDGRID_MAX_AGE
    except ValueError:
        return False


@lru_cache(maxsize=4)
def _verifier(key: str) -> EventWebhook:
    """SendGrid shows the key as bare base64; a PEM's armour lines are accepted too."""
    bare = "".join(line for line in key.strip().splitlines() if not line.startswith("-----"))
    return EventWebhook(bare)
