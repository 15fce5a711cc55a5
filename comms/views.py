import io
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from incidents.models import Incident
from vigil import privacy
from vigil.access import permission_required
from vigil.audit import Actor, client_ip

from . import csvio, services, templating
from .acknowledge import acknowledge_by_token
from .forms import AudienceForm, ImportForm, OutboxFilterForm, RetryForm, StakeholderForm, TemplatesForm
from .messages import sample_context, sample_texts, sms_length
from .models import Event, MessageTemplate, Notification, Part, Stakeholder, StakeholderGroup, State
from .progress import counts_by_update

logger = logging.getLogger(__name__)


@permission_required("comms.view_stakeholder")
def stakeholder_list(request):
    page = Paginator(Stakeholder.objects.prefetch_related("groups"), 100).get_page(request.GET.get("page"))
    can_export = privacy.may_see(request.user, privacy.rule_for("comms.Stakeholder.email"))
    context = {"page": page, "groups": StakeholderGroup.objects.all(), "can_export": can_export}
    return render(request, "comms/stakeholders.html", context)


@permission_required("comms.add_stakeholder")
def stakeholder_new(request):
    """Add a stakeholder: admins only, as the API (comms.add_stakeholder); the form validates as the API does."""
    return _stakeholder_form(request, None)


@permission_required("comms.change_stakeholder")
def stakeholder_edit(request, pk: int):
    return _stakeholder_form(request, get_object_or_404(Stakeholder, pk=pk))


def _stakeholder_form(request, stakeholder: Stakeholder | None):
    form = StakeholderForm(request.POST or None, instance=stakeholder)
    if request.method == "POST" and form.is_valid():
        saved = services.do_save_stakeholder(Actor.from_request(request), stakeholder, **form.values())
        messages.success(request, f"Stakeholder “{saved.name}” {'added' if stakeholder is None else 'saved'}.")
        return redirect("comms:stakeholders")
    form.mark_first_error()
    context = {"form": form, "stakeholder": stakeholder}
    return render(request, "comms/stakeholder_form.html", context, status=400 if form.errors else 200)


@permission_required("comms.view_stakeholder")
def stakeholder_export(request):
    """Every stakeholder's contact details in full: for those who may see them (vigil.privacy), not viewers."""
    if not privacy.may_see(request.user, privacy.rule_for("comms.Stakeholder.email")):
        raise PermissionDenied("Your role sees stakeholders' contact details masked; the export holds them in full.")
    out = io.StringIO()
    csvio.write(Stakeholder.objects.order_by("pk"), out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stakeholders-{timezone.now():%Y%m%d}.csv"'
    return response


@permission_required("comms.add_stakeholder")
def stakeholder_import(request):
    """Upload, preview (every bad row with its reasons), then import the good rows."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        try:
            if form.cleaned_data["confirm"]:
                rows, created, updated = services.do_import_stakeholders(Actor.from_request(request), text)
                messages.success(request, f"Imported: {created} created, {updated} updated, {_bad(rows)} skipped.")
                return redirect("comms:stakeholders")
            rows = csvio.read(text)
        except csvio.CsvError as exc:
            form.add_error(None, str(exc))
            return render(request, "comms/import.html", context, status=400)
        bad = [row for row in rows if row.errors]
        context.update(bad=bad, good=len(rows) - len(bad), confirm=ImportForm(initial={"text": text, "confirm": True}))
    elif request.method == "POST":
        return render(request, "comms/import.html", context, status=400)
    return render(request, "comms/import.html", context)


def _bad(rows) -> int:
    return sum(1 for row in rows if row.errors)


@permission_required("comms.view_notification")
def outbox(request):
    """Every outbox row; the sandbox's are what would have been sent. ?state=failed is the Failed view."""
    filters = OutboxFilterForm(request.GET)
    rows = filters.filter(Notification.objects.select_related("stakeholder", "update__incident"))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    counts = dict(Notification.objects.values_list("state").annotate(n=Count("pk")).order_by())
    states = [(value, label, counts.get(value, 0)) for value, label in State.choices]
    context = {"page": page, "filters": filters, "states": states}
    return render(request, "comms/outbox.html", context)


@require_POST
@permission_required("comms.retry_notification")
def retry(request):
    form = RetryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose failed messages to retry.")
        return redirect(f"{_outbox_url()}?state=failed")
    chosen = Notification.objects.filter(state=State.FAILED)
    if not form.cleaned_data["all_failed"]:
        chosen = chosen.filter(pk__in=[n.pk for n in form.cleaned_data["ids"]])
    count = services.do_retry(Actor.from_request(request), chosen)
    messages.success(request, f"Queued {count} message{'s' if count != 1 else ''} again.")
    return redirect(f"{_outbox_url()}?state=failed")


def _outbox_url() -> str:
    return reverse("comms:outbox")


@permission_required("incidents.view_incident")
def incident_comms(request, pk: int):
    """Who hears this incident, and how far each update's fan-out has gone."""
    incident = get_object_or_404(Incident, pk=pk)
    audience = getattr(incident, "audience", None)
    form = AudienceForm(request.POST or None, initial={"groups": audience.groups.all() if audience else []})
    if request.method == "POST":
        if not request.user.has_perm("comms.change_incidentaudience"):
            return HttpResponseForbidden("Your role does not allow choosing the audience.")
        if form.is_valid():
            services.do_set_audience(Actor.from_request(request), incident, form.cleaned_data["groups"])
            messages.success(request, "Audience saved.")
            return redirect("comms:incident", pk=pk)
    updates = list(incident.updates.all())
    counts = counts_by_update(updates)
    updates = [(u, counts[u.pk]) for u in updates]
    return render(request, "comms/incident.html", {"incident": incident, "form": form, "updates": updates})


# --- Twilio webhooks: no login, the X-Twilio-Signature is the credential ---------------


def twilio_signature_ok(request) -> bool:
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    url = settings.VIGIL_BASE_URL + request.get_full_path()
    return bool(settings.TWILIO_AUTH_TOKEN) and validator.validate(
        url, request.POST.dict(), request.headers.get("X-Twilio-Signature", "")
    )


@csrf_exempt
@require_POST
def voice_ack(request, token: str):
    """Twilio posts the digit pressed during a voice page; 1 acknowledges the incident as the paged person."""
    if not twilio_signature_ok(request):
        return HttpResponseForbidden("Bad Twilio signature.")
    answer = VoiceResponse()
    if request.POST.get("Digits") != "1":
        answer.say("Not acknowledged. Goodbye.")
        return HttpResponse(str(answer), content_type="text/xml")
    answer.say(_acknowledge(token))
    return HttpResponse(str(answer), content_type="text/xml")


def _acknowledge(token: str) -> str:
    """What the call says. The voice page's key 1 follows the link's rule (incidents.paging): once, and
    only while the person paged may still acknowledge."""
    return acknowledge_by_token(token, "voice")[1]


@csrf_exempt
@require_POST
def ntfy_ack(request, token: str):
    """The Acknowledge button of an ntfy page (ntfy's http action POSTs here, with no form and no cookie).

    The signed token is the credential, as in the page's link (incidents.views.acknowledge_from_link),
    so no CSRF token: a forged request would need the token, which is the whole secret. Only POST acts
    (a link preview's GET does nothing), once, and only while the person paged may still acknowledge.
    Plain text, for ntfy to show.
    """
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    status, words = acknowledge_by_token(token, "ntfy", client_ip(request), agent)
    return HttpResponse(words, status=status, content_type="text/plain; charset=utf-8")


# --- Message templates ---------------------------------------------------------------


@permission_required("comms.view_messagetemplate")
def template_list(request):
    """Each event's templates, and which parts an admin customised (the others use the defaults)."""
    custom = set(MessageTemplate.objects.values_list("event", "part"))
    events = [
        (Event(event), [(Part(part), (event, part) in custom) for part in parts])
        for event, parts in templating.EVENT_PARTS.items()
    ]
    return render(request, "comms/templates.html", {"events": events})


@permission_required("comms.change_messagetemplate")
def template_edit(request, event: str):
    """Edit one event's templates; Preview renders them on the sample incident without saving."""
    if event not in Event.values:
        raise Http404("No such event.")
    sources, status = templating.sources(event), 200
    form = TemplatesForm(event, request.POST or None, initial=sources)
    if request.method == "POST" and "reset" in request.POST:
        services.do_save_templates(Actor.from_request(request), event, dict.fromkeys(templating.EVENT_PARTS[event], ""))
        messages.success(request, f"{Event(event).label}: back to the default templates.")
        return redirect("comms:template_edit", event=event)
    if request.method == "POST" and form.is_valid():
        if "preview" not in request.POST:
            changed = services.do_save_templates(Actor.from_request(request), event, form.cleaned_data)
            messages.success(
                request, f"{Event(event).label}: {len(changed)} template{'s' if len(changed) != 1 else ''} changed."
            )
            return redirect("comms:template_edit", event=event)
        sources = form.sources()
    elif request.method == "POST":
        status = 400
    context = {
        "event": Event(event),
        "form": form,
        "previews": [] if status == 400 else _previews(event, sources),
        "variables": [(name, templating.VARIABLES[name][0]) for name in templating.variables_of(event)],
        "tags": sorted(templating.ALLOWED_TAGS),
        "filters": sorted(templating.ALLOWED_FILTERS),
        "sample": sample_context(event),
    }
    return render(request, "comms/template_edit.html", context, status=status)


def _previews(event: str, sources: dict[str, str]) -> list[dict]:
    """Each part as it would be sent on the sample incident; an SMS with its length in segments."""
    texts = sample_texts(event, sources)
    previews = [{"part": Part.SUBJECT, "text": texts.subject}]
    for part, text in texts.bodies.items():
        if part == Part.WEBHOOK:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        previews.append({"part": Part(part), "text": text, "sms": sms_length(text) if part == Part.SMS else None})
    return previews
