"""Who may see each secret and each piece of personal data, and what everyone else sees instead.

One table, POLICY, names every sensitive field as "app_label.Model.field" (vigil imports no app,
so the table holds names, not models) and gives it a level and a mask. Every surface asks the
same table through one helper:

- the API: SensitiveFieldsMixin on a serializer, with the fields listed in Meta.sensitive_fields;
- templates: {% load privacy %}{% private obj "field" %} and {% may_see obj "field" as shown %},
  decided by the request's user;
- a view that hands a model to code reading its fields (a settings summary): masked(user, obj);
- Django's admin: SensitiveAdminMixin (masked read-only values, write-only secrets, no hashes).

Levels
- SECRET: admins, and the person the value belongs to (their own). Credentials to Vigil or to
  another service, and the addresses of members of the public (status page subscribers).
- PRIVATE: admins and responders, who run incidents: they reach stakeholders and colleagues and
  mend monitors (they hold change_monitor). Viewers see it masked.

Who sees what (A admin, R responder, V viewer; "own": the person it belongs to, whatever their role;
"-": never shown, to anyone, after it is made):

    field                                           A     R       V       masked as
    comms.Stakeholder email, phone                  yes   yes     masked  •••@example.com, •••••42
    comms.Contact phone, a user's email             yes   yes     own     •••••42, •••@example.com
    comms.Endpoint url (a Slack URL is a key)       yes   masked  masked  https://hooks.slack.com/•••
    comms.Endpoint secret, Subscriber secret        -     -       -       (write-only in the API)
    comms.NtfyTarget topic                          yes   own     own     ••••••
    comms.NtfyTarget token                          -     -       -       (write-only in the admin)
    comms.Endpoint url of kind Apprise              yes   masked  masked  json://hooks.example/•••, tgram://•••
    comms.AppriseTarget url (a person's Apprise)    yes   own     own     as above
    comms.Subscriber address                        yes   masked  masked  by kind, as above (Apprise too)
    comms.Notification destination, body, error:
      to a stakeholder, a user or a page            yes   yes     own     by kind; body: ••••••
      to a subscriber or an endpoint                yes   masked  masked  by kind; body: ••••••
      by Apprise (its URL is a credential)          yes   own     own     as above
    comms.Notification ack_code                     -     -       -       (Django's admin: masked)
    monitoring.Monitor target                       yes   yes     masked  https://host/••• (no user:pass)
    monitoring.Monitor headers                      yes   yes     masked  {"Authorization": "••••••"}
    monitoring.Monitor body                         yes   yes     masked  ••••••
    monitoring.Monitor steps (browser checks)       yes   yes     masked  [{"fill": "#user", "value": "••••••"}]
    monitoring.Monitor ping URL (heartbeats)        yes   yes     masked  https://vigil.example/•••
    incidents.Schedule iCal feed URL                yes   yes     masked  https://vigil.example/•••
    a person's own iCal feed URL                    own   own     own     (each sees only their own)
    acknowledge links and SMS ACK codes             -     -       -       (never stored: rendered at send)
    subscriber manage links                         -     -       -       (never stored: rendered at send)
    API keys, integration tokens, source secrets    once  -       -       (as before: shown once, or admins only)

A viewer may download neither the stakeholders' CSV (it holds every address in full) nor search monitor
targets (a search would spell a masked target out letter by letter).

Masks keep what is useful and nothing that works as a credential or reaches a person: a URL keeps
its scheme and host, never its path, query or user:pass; an email keeps its domain; a phone its
last two digits. Anything unknown is hidden entirely. An anonymous caller or a user with no role
sees every sensitive value masked (the safe default when no request is at hand).
"""

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .roles import Role, role_of

HIDDEN = "••••••"


class Level(enum.Enum):
    SECRET = "secret"  # noqa: S105 - a level's name, not a password
    PRIVATE = "private"


# --- Masks ----------------------------------------------------------------------------------------


def mask_text(value) -> str:
    return HIDDEN if value not in (None, "") else value


def mask_url(value: str) -> str:
    """Scheme and host (and port) only: a path, a query or user:pass may be the credential."""
    if not value or "://" not in str(value):
        return mask_text(value)
    try:
        parts = urlsplit(str(value))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return HIDDEN
    if ":" in host:
        host = f"[{host}]"
    rest = "/•••" if (parts.path not in ("", "/") or parts.query or parts.username or parts.fragment) else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


def mask_apprise(value: str) -> str:
    """An Apprise URL: its scheme, and its host only when that reads as a network name (json://hooks.example/•••).
    Many services put a token where a host would be (tgram://<bot token>/, pover://user@<token>): scheme only."""
    value = str(value or "")
    scheme, sep, rest = value.partition("://")
    if not sep or not scheme.isalnum():
        return mask_text(value)
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        host = ""
    named = host and ("." in host or ":" in host) and "@" not in rest.split("/", 1)[0]
    return f"{scheme}://{host}/•••" if named else f"{scheme}://•••"


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return mask_text(value)
    return "•••@" + value.rpartition("@")[2]


def mask_phone(value: str) -> str:
    digits = [c for c in str(value or "") if c.isdigit()]
    if len(digits) < 6:
        return mask_text(value)
    return "•••••" + "".join(digits[-2:])


def mask_address(value: str) -> str:
    """An address of any kind (an outbox destination, a subscriber): URL, email or phone, each as above."""
    value = str(value or "")
    if "://" in value:
        return mask_url(value)
    if "@" in value:
        return mask_email(value)
    if value.lstrip("+").replace(" ", "").isdigit():
        return mask_phone(value)
    return mask_text(value)


def mask_target(value: str) -> str:
    """A monitor's target: a URL as a URL; a bare host name (TCP, TLS, DNS) is no secret."""
    value = str(value or "")
    return mask_url(value) if "://" in value or "@" in value else value


def mask_steps(value) -> Any:
    """Browser steps keep what they do (selectors, expected text); every value typed goes."""
    if not isinstance(value, list):
        return mask_text(value)
    return [{**step, "value": HIDDEN} if isinstance(step, dict) and "value" in step else step for step in value]


def mask_headers(value) -> Any:
    """The header names stay (they say what is sent); every value goes."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return mask_text(value)
    if isinstance(value, dict):
        return {name: HIDDEN for name in value}
    return mask_text(value)


# --- The table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    level: Level
    mask: Callable[[Any], Any]
    # The attribute of the object naming the user the value belongs to: that user sees it in full.
    owner: str = ""


def _by_recipient(mask: Callable[[Any], Any]) -> Callable[[Any], Rule]:
    """An outbox row: a message to a member of the public (a subscriber) or to a third-party endpoint is
    secret; one to a stakeholder, a colleague or a paged person is private, and its person's own."""

    def rule(row) -> Rule:
        if getattr(row, "medium", "") == "apprise":  # the destination is a credential: its owner's and admins'
            return Rule(Level.SECRET, mask_apprise if mask is mask_address else mask, owner="user_id")
        if getattr(row, "subscriber_id", None) or getattr(row, "endpoint_id", None):
            return Rule(Level.SECRET, mask)
        return Rule(Level.PRIVATE, mask, owner="user_id")

    return rule


POLICY: dict[str, Rule | Callable[[Any], Rule]] = {
    "comms.Stakeholder.email": Rule(Level.PRIVATE, mask_email),
    "comms.Stakeholder.phone": Rule(Level.PRIVATE, mask_phone),
    "comms.Contact.phone": Rule(Level.PRIVATE, mask_phone, owner="user_id"),
    "auth.User.email": Rule(Level.PRIVATE, mask_email, owner="pk"),
    "comms.Endpoint.url": lambda endpoint: Rule(
        Level.SECRET, mask_apprise if getattr(endpoint, "kind", "") == "apprise" else mask_url
    ),
    "comms.AppriseTarget.url": Rule(Level.SECRET, mask_apprise, owner="user_id"),
    "comms.Endpoint.secret": Rule(Level.SECRET, mask_text),
    "comms.Subscriber.address": lambda subscriber: Rule(
        Level.SECRET, mask_apprise if getattr(subscriber, "kind", "") == "apprise" else mask_address
    ),
    "comms.Subscriber.secret": Rule(Level.SECRET, mask_text),
    "comms.Notification.destination": _by_recipient(mask_address),
    "comms.Notification.body": _by_recipient(mask_text),
    "comms.Notification.error": _by_recipient(mask_text),
    "comms.Notification.ack_code": Rule(Level.SECRET, mask_text),
    "comms.NtfyTarget.topic": Rule(Level.SECRET, mask_text, owner="user_id"),
    "comms.NtfyTarget.token": Rule(Level.SECRET, mask_text, owner="user_id"),
    "monitoring.Monitor.target": Rule(Level.PRIVATE, mask_target),
    "monitoring.Monitor.headers": Rule(Level.PRIVATE, mask_headers),
    "monitoring.Monitor.body": Rule(Level.PRIVATE, mask_text),
    "monitoring.Monitor.steps": Rule(Level.PRIVATE, mask_steps),
    "monitoring.Monitor.ping_url": Rule(Level.PRIVATE, mask_url),
    "monitoring.Monitor.ping_token": Rule(Level.PRIVATE, mask_text),
    "incidents.Schedule.ical_url": Rule(Level.PRIVATE, mask_url),
    "incidents.Schedule.ical_token": Rule(Level.PRIVATE, mask_text),
}


def rule_for(label: str, obj=None) -> Rule:
    """The rule of LABEL ("app_label.Model.field"), for OBJ when it depends on the row. KeyError if none:
    a field declared sensitive somewhere must be in the table."""
    rule = POLICY[label]
    return rule if isinstance(rule, Rule) else rule(obj)


def label_of(obj, field: str) -> str:
    return f"{obj._meta.label}.{field}"


# --- Who asks -------------------------------------------------------------------------------------


def role(user) -> Role | None:
    """USER's role, read once per user object (a list of a thousand rows asks a thousand times)."""
    if user is None:
        return None
    if "_privacy_role" not in user.__dict__:
        user.__dict__["_privacy_role"] = role_of(user)
    return user.__dict__["_privacy_role"]


def may_see(user, rule: Rule, obj=None) -> bool:
    held = role(user)
    if held == Role.ADMIN:
        return True
    owned = rule.owner and obj is not None and user is not None and user.is_authenticated
    if owned and getattr(obj, rule.owner, None) == user.pk:
        return True
    return rule.level == Level.PRIVATE and held == Role.RESPONDER


def may_see_field(user, obj, field: str, label: str = "") -> bool:
    return may_see(user, rule_for(label or label_of(obj, field), obj), obj)


_MISSING = object()


def shown(user, obj, field: str, value=_MISSING, label: str = ""):
    """What USER is shown of OBJ's FIELD (or of VALUE, its rendered form): the value, or its mask."""
    if value is _MISSING:
        value = getattr(obj, field)
    if value in (None, "", {}, []):
        return value
    rule = rule_for(label or label_of(obj, field), obj)
    return value if may_see(user, rule, obj) else rule.mask(value)


def masked(user, obj, fields: list[str] | None = None):
    """OBJ as USER may see it: a copy whose sensitive FIELDS (default: all of its model's in POLICY)
    hold their masks, for code that reads the fields (templates, summaries). Never save the copy."""
    import copy

    prefix = obj._meta.label + "."
    names = fields or [label.removeprefix(prefix) for label in POLICY if label.startswith(prefix)]
    copied = copy.copy(obj)
    for name in names:
        if name in copied.__dict__:
            copied.__dict__[name] = shown(user, obj, name)
    copied.save = _refuse_save
    return copied


def _refuse_save(*args, **kwargs):
    raise RuntimeError("A masked copy is for display: it is never saved.")


# --- The API --------------------------------------------------------------------------------------


class SensitiveFieldsMixin:
    """For a ModelSerializer: Meta.sensitive_fields names the output fields the policy decides
    (each found in POLICY as "<Meta.model's label>.<field>"). Whoever may not see one gets its mask.
    Without a request in the context nobody is asking, and everything sensitive is masked."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in getattr(self.Meta, "sensitive_fields", ()):
            if field in data:
                data[field] = shown(user, instance, field, data[field])
        return data


# --- Django's admin -------------------------------------------------------------------------------

MASKED_SUFFIX = "_masked"


class SensitiveAdminMixin:
    """Admins are the only users of Django's admin, yet a page there need not echo a secret it does not
    need: a token whose URL the dashboard shows, a code, a hash.

    - masked_fields: shown read-only, as their last four characters (enough to tell two apart);
    - write_only_fields: a password box that is never filled in; left blank, the stored value stays;
    - hidden_fields: never shown (hashes).
    """

    masked_fields: tuple[str, ...] = ()
    write_only_fields: tuple[str, ...] = ()
    hidden_fields: tuple[str, ...] = ()

    def _swap(self, names):
        out = []
        for name in names:
            if name in self.hidden_fields:
                continue
            out.append(name + MASKED_SUFFIX if name in self.masked_fields else name)
        return type(names)(out) if isinstance(names, tuple) else out

    def __getattr__(self, name: str):
        base = name.removesuffix(MASKED_SUFFIX)
        if name.endswith(MASKED_SUFFIX) and base in type(self).masked_fields:

            def display(obj):
                value = str(getattr(obj, base, "") or "")
                return f"{HIDDEN}{value[-4:]}" if len(value) > 8 else (HIDDEN if value else "")

            display.short_description = base.replace("_", " ")
            return display
        raise AttributeError(name)

    def get_list_display(self, request):
        return self._swap(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        names = list(self._swap(super().get_readonly_fields(request, obj)))
        return names + [f + MASKED_SUFFIX for f in self.masked_fields if f + MASKED_SUFFIX not in names]

    def get_fields(self, request, obj=None):
        return self._swap(super().get_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [(title, {**opts, "fields": self._swap(opts["fields"])}) for title, opts in fieldsets]

    def get_search_fields(self, request):
        hidden = {*self.masked_fields, *self.hidden_fields}
        return [f for f in super().get_search_fields(request) if f not in hidden]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        from django import forms

        for name in self.write_only_fields:
            field = form.base_fields.get(name)
            if field is not None:
                field.widget = forms.PasswordInput(render_value=False)
                field.required = not change and field.required
                if change:
                    field.help_text = "Not shown. Leave blank to keep the current value; type a new one to replace it."
        return form

    def save_model(self, request, obj, form, change):
        if change:
            for name in self.write_only_fields:
                if name in form.cleaned_data and not form.cleaned_data[name]:
                    kept = type(obj)._default_manager.filter(pk=obj.pk).values_list(name, flat=True).first()
                    setattr(obj, name, kept)
        super().save_model(request, obj, form, change)
