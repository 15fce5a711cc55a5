"""My notifications: a person's own contact methods, their two rule chains, quiet hours and test pages.

Each view acts on the signed-in person's own rows only (another's rule or test page is not found);
admins change other people's in the admin. Every change is a comms.services do_* action.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chat.slack import pages as slack_pages
from vigil.access import permission_required
from vigil.audit import Actor
from vigil.live import live

from . import rules_for, services, test_pages
from .models import (
    AppriseTarget,
    Contact,
    NotificationRule,
    NtfyTarget,
    PagingPreferences,
    PushSubscription,
    TestPage,
    Urgency,
)
from .my_forms import AppriseForm, ContactForm, DelayForm, NtfyForm, QuietHoursForm, RuleForm, TestPageForm

PERM = "comms.add_notificationrule"  # responders and admins (comms.apps.CommsConfig.responder_models)
FORMS = {
    "contact": ContactForm,
    "ntfy": NtfyForm,
    "apprise": AppriseForm,
    "rule": RuleForm,
    "quiet": QuietHoursForm,
    "test": TestPageForm,
}


def _methods(user) -> dict:
    """The person's own settings rows, read once a page: their contact, ntfy, Apprise and quiet hours."""
    return {
        "contact": Contact.objects.filter(user=user).first(),
        "ntfy": NtfyTarget.objects.filter(user=user).first(),
        "apprise": AppriseTarget.objects.filter(user=user).first(),
        "prefs": PagingPreferences.objects.filter(user=user).first(),
    }


def _initial(methods: dict) -> dict:
    contact, ntfy, apprise, prefs = (methods[k] for k in ("contact", "ntfy", "apprise", "prefs"))
    return {
        "contact": {"phone": getattr(contact, "phone", "")},
        "ntfy": {"server": ntfy.server, "topic": ntfy.topic} if ntfy else {},
        "apprise": {"label": apprise.label} if apprise else {},
        "quiet": {"quiet_start": prefs.quiet_start, "quiet_end": prefs.quiet_end, "time_zone": prefs.time_zone}
        if prefs
        else {},
    }


def _chain(user, urgency: str) -> list[tuple[NotificationRule, str]]:
    rules = NotificationRule.objects.filter(user=user, urgency=urgency).order_by("delay_minutes", "medium")
    return [(rule, rules_for.problem(rule)) for rule in rules]


def _page(request, bound=None, status: int = 200):
    user, methods = request.user, _methods(request.user)
    initial = _initial(methods)
    forms = {name: cls(initial=initial.get(name, {})) for name, cls in FORMS.items()}
    rule_forms = {u: RuleForm(initial={"urgency": u}) for u in Urgency.values}
    if bound is not None:
        name, form = bound
        if name == "rule":
            rule_forms[form.data.get("urgency", Urgency.HIGH)] = form
        else:
            forms[name] = form
    test = TestPage.objects.filter(user=user).first()
    context = {
        "forms": forms,
        "chains": [(u, label, _chain(user, u), rule_forms[u]) for u, label in Urgency.choices],
        "contact": methods["contact"],
        "ntfy": methods["ntfy"],
        "apprise": methods["apprise"],
        "slack_problem": slack_pages.unreachable_reason(user),
        "devices": PushSubscription.objects.filter(user=user).count(),
        "test": test,
        "steps": test_pages.panel(test) if test else [],
        "high_severities": " or ".join(s.upper() for s in settings.VIGIL_HIGH_URGENCY_SEVERITIES),
    }
    return render(request, "comms/my_notifications.html", context, status=status)


@permission_required(PERM)
def my_notifications(request):
    if request.method != "POST":
        return _page(request)
    name = request.POST.get("form", "")
    if name not in FORMS:
        return redirect("comms:my_notifications")
    form = FORMS[name](request.POST)
    if form.is_valid():
        try:
            said = _save(Actor.from_request(request), name, form.cleaned_data)
        except ValidationError as exc:
            _form_failed(form, exc)
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, said)
            return redirect("comms:my_notifications")
    return _page(request, (name, form), status=400)


def _save(actor: Actor, name: str, data: dict) -> str:
    if name == "contact":
        services.do_save_contact(actor, data["phone"])
        return "Phone saved."
    if name == "ntfy":
        services.do_save_ntfy(actor, data["server"], data["topic"], data["token"], data["clear_token"])
        return "ntfy saved."
    if name == "apprise":
        services.do_save_apprise(actor, data["url"], data["label"], data["remove"])
        return "Apprise saved."
    if name == "rule":
        services.do_add_rule(actor, data["urgency"], data["medium"], data["delay_minutes"])
        return "Rule added."
    if name == "quiet":
        services.do_save_quiet_hours(actor, data["quiet_start"], data["quiet_end"], data["time_zone"])
        return "Quiet hours saved."
    test = services.do_send_test_page(actor, data["urgency"])
    return f"Test page sent ({test.get_urgency_display().lower()}): see below what arrived."


def _form_failed(form, exc: ValidationError) -> None:
    """An action's ValidationError beside the fields it names (or above the form)."""
    errors = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
    for field, errs in errors.items():
        form.add_error(field if field in form.fields else None, errs)


@require_POST
@permission_required(PERM)
def rule_action(request, pk: int, action: str):
    rule = get_object_or_404(NotificationRule, pk=pk, user=request.user)  # another's rule: not found
    actor = Actor.from_request(request)
    try:
        if action == "remove":
            services.do_remove_rule(actor, rule)
        elif action in ("up", "down"):
            services.do_move_rule(actor, rule, up=action == "up")
        else:
            form = DelayForm(request.POST)
            if not form.is_valid():
                messages.error(request, f"{rule.get_medium_display()}: {form.errors['delay_minutes'][0]}")
                return redirect("comms:my_notifications")
            services.do_set_rule_delay(actor, rule, form.cleaned_data["delay_minutes"])
    except services.ActionError as exc:
        messages.error(request, str(exc))
    return redirect("comms:my_notifications")


def _test_version(request, pk: int):
    test = TestPage.objects.filter(pk=pk, user=request.user).first()
    return test_pages.version(test) if test else "none"


@permission_required(PERM)
@live(_test_version)
def test_panel(request, pk: int):
    """The result panel of a test page, polled by the page (data-live) while its rows move."""
    test = get_object_or_404(TestPage, pk=pk, user=request.user)
    return render(request, "comms/_test_page_panel.html", {"test": test, "steps": test_pages.panel(test)})
