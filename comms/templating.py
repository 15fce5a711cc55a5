"""Message templates: the built-in defaults, the admins' stored ones, and a sandboxed Django engine.

A template sees only the documented variables (VARIABLES), all strings whose methods it
cannot call: no model object reaches it, so it cannot follow a relation or call anything. The engine
knows a short list of tags and filters (no load, include, extends, debug, url, for)
and loads no file, and every text is plain text: autoescape is off, and nothing but
the template itself is evaluated.

No loops, and yet a template can grow its text: `{% with a=title|add:title %}` doubles the title, and
twenty such blocks inside one another would make megabytes from a short template. So every render is
bounded (_bounded): blocks nest at most MAX_NESTING deep, no filter may return more than MAX_RENDERED
characters, and the text the template writes out (its literal text and variables, summed) stops at
MAX_RENDERED too. Past a bound, rendering stops with TemplateLimitError at once, before the memory is
spent. A template is checked when saved on the sample incident and again on long values (the longest
title and message Vigil accepts), so what passes then stays within the bounds when sent.
"""

import functools
import logging
import re

from django.template import Context, Engine, Library, Node, TemplateSyntaxError

from .models import Event, MessageTemplate, Part

logger = logging.getLogger(__name__)

MAX_TEMPLATE_LENGTH = 4000
# A rendered message's largest size (characters), and how deep blocks ({% if %}, {% with %}...) may nest.
MAX_RENDERED = 64 * 1024
MAX_NESTING = 8
# The long values a template is also checked with when saved: the longest an incident's title and a
# public update's message may be (incidents.forms), and a long list of components.
LONG_SAMPLE_LENGTHS = {"title": 200, "message": 10_000, "components": 2_000}

ALLOWED_TAGS = {"comment", "filter", "firstof", "if", "now", "spaceless", "templatetag", "verbatim", "with"}
ALLOWED_FILTERS = {
    "add", "capfirst", "cut", "default", "default_if_none", "first", "iriencode", "last", "length", "lower",
    "pluralize", "slice", "slugify", "striptags", "title", "truncatechars", "truncatewords", "upper", "urlencode",
    "wordcount", "wordwrap", "yesno",
}  # fmt: skip

# The parts each event has: public events reach people and endpoints, a page only a person.
PUBLIC_PARTS = [Part.SUBJECT, Part.EMAIL, Part.SMS, Part.VOICE, Part.SLACK, Part.MASTODON, Part.WEBHOOK]
PAGE_PARTS = [Part.SUBJECT, Part.EMAIL, Part.SMS, Part.VOICE]
EVENT_PARTS: dict[str, list[str]] = {
    Event.OPENED: PUBLIC_PARTS,
    Event.UPDATE: PUBLIC_PARTS,
    Event.RESOLVED: PUBLIC_PARTS,
    Event.MAINTENANCE: PUBLIC_PARTS,
    Event.PAGE: PAGE_PARTS,
}

# name -> (what it holds, the events that have it)
INCIDENT_EVENTS = (Event.OPENED, Event.UPDATE, Event.RESOLVED, Event.PAGE)
ALL_EVENTS = (*INCIDENT_EVENTS, Event.MAINTENANCE)
VARIABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "title": ("The incident's or the maintenance's title", ALL_EVENTS),
    "severity": ("SEV1 to SEV4", INCIDENT_EVENTS),
    "status": (
        "The update's public status (Investigating, Identified, Monitoring, Resolved); "
        "for a page, the incident's status; for maintenance, Scheduled",
        ALL_EVENTS,
    ),
    "impact": ("None, Minor, Major or Critical", INCIDENT_EVENTS),
    "components": ("The affected public components, separated by commas (may be empty)", ALL_EVENTS),
    "message": (
        "The update's or the maintenance's message; for a page, the page text (with its links)",
        ALL_EVENTS,
    ),
    "status_url": ("The public status page's address", ALL_EVENTS),
    "incident_url": ("The incident in the dashboard (responders only: it needs a login)", INCIDENT_EVENTS),
    "incident_id": ("The incident's number", INCIDENT_EVENTS),
    "recipient_name": (
        "The recipient's name (empty for Slack, Mastodon and webhooks). In a public update's email, "
        "using it sends one email per recipient instead of one request per thousand",
        ALL_EVENTS,
    ),
    "ack_code": ("The SMS's code, which the paged person texts back: Reply ACK <code>", (Event.PAGE,)),
    "ack_url": ("The one-click acknowledge link", (Event.PAGE,)),
    "starts_at": ("When the maintenance starts (UTC)", (Event.MAINTENANCE,)),
    "ends_at": ("When the maintenance ends (UTC)", (Event.MAINTENANCE,)),
}


def variables_of(event: str) -> list[str]:
    return [name for name, (_, events) in VARIABLES.items() if event in events]


# What comms/messages.py said before templates could be edited: the defaults. A public
# update's three events start alike; Mastodon's text gets the status page link after it,
# shortened to fit 500 characters; the webhook text is the "text" field of its JSON.
_UPDATE = {
    Part.SUBJECT: "[{{ status }}] {{ title }}",
    Part.EMAIL: (
        "{{ title }}\n\nStatus: {{ status }}\n\n{{ message }}\n"
        "{% if components %}\nAffected: {{ components }}\n{% endif %}"
        "\nFollow along: {{ status_url }}\n"
    ),
    Part.SMS: "{{ title }} - {{ status }}: {{ message }} {{ status_url }}",
    Part.VOICE: "Incident update. {{ title }}. Status: {{ status }}. {{ message }}",
    Part.SLACK: "*{{ title }}* - {{ status }}\n{{ message }}\n<{{ status_url }}|Status page>",
    Part.MASTODON: "{{ title }} - {{ status }}: {{ message }}",
    Part.WEBHOOK: "{{ title }} - {{ status }}: {{ message }}",
}
_MAINTENANCE = {
    Part.SUBJECT: "[Scheduled maintenance] {{ title }}",
    Part.EMAIL: (
        "Scheduled maintenance: {{ title }}\n\nFrom {{ starts_at }} to {{ ends_at }}.\n\n{{ message }}\n"
        "{% if components %}\nAffected: {{ components }}\n{% endif %}"
        "\nFollow along: {{ status_url }}\n"
    ),
    Part.SMS: "Scheduled maintenance: {{ title }}, {{ starts_at }} to {{ ends_at }}. {{ status_url }}",
    Part.VOICE: "Scheduled maintenance. {{ title }}. From {{ starts_at }} to {{ ends_at }}. {{ message }}",
    Part.SLACK: (
        "*Scheduled maintenance: {{ title }}*\n{{ starts_at }} to {{ ends_at }}\n{{ message }}\n"
        "<{{ status_url }}|Status page>"
    ),
    Part.MASTODON: "Scheduled maintenance: {{ title }}, {{ starts_at }} to {{ ends_at }}. {{ message }}",
    Part.WEBHOOK: "Scheduled maintenance: {{ title }}, {{ starts_at }} to {{ ends_at }}. {{ message }}",
}
_PAGE = {
    Part.SUBJECT: "[{{ severity }}] Page: #{{ incident_id }} {{ title }}",
    Part.EMAIL: "{{ message }}\n",
    Part.SMS: "{{ message }}\nReply ACK {{ ack_code }} to acknowledge.",
    Part.VOICE: "Vigil page. Severity {{ severity|lower }}. Incident {{ incident_id }}: {{ title }}",
}
DEFAULTS: dict[tuple[str, str], str] = {
    **{(event, part): text for event in (Event.OPENED, Event.UPDATE, Event.RESOLVED) for part, text in _UPDATE.items()},
    **{(Event.MAINTENANCE, part): text for part, text in _MAINTENANCE.items()},
    **{(Event.PAGE, part): text for part, text in _PAGE.items()},
}


class TemplateLimitError(Exception):
    """Rendering went past MAX_RENDERED characters or MAX_NESTING levels. The message says which."""


def _too_large() -> TemplateLimitError:
    return TemplateLimitError(f"The message would be longer than {MAX_RENDERED:,} characters.")


def _bounded_filter(func):
    """FUNC, refusing to return a text (or list) longer than MAX_RENDERED: `add` can double a value."""

    @functools.wraps(func)  # keeps Django's flags and, through __wrapped__, the argument check
    def bounded(*args):
        result = func(*args)
        if isinstance(result, str | list | tuple) and len(result) > MAX_RENDERED:
            raise _too_large()
        return result

    return bounded


def _sandbox_engine(**options) -> Engine:
    engine = Engine(loaders=[], libraries={}, autoescape=False, **options)
    allowed = Library()
    for library in engine.template_builtins:
        allowed.tags.update({name: tag for name, tag in library.tags.items() if name in ALLOWED_TAGS})
        allowed.filters.update(
            {name: _bounded_filter(f) for name, f in library.filters.items() if name in ALLOWED_FILTERS}
        )
    engine.template_builtins = [allowed]
    return engine


_engine = _sandbox_engine()


class Value(str):
    """A context value: a string, and none of its methods can be called from a template
    ({{ title.upper }} is an unknown variable; the upper filter is the way)."""

    def __getattribute__(self, name):
        if not name.startswith("_"):
            raise AttributeError(name)
        return super().__getattribute__(name)

    def __dir__(self):
        # Django re-raises an AttributeError for a name dir() lists; unlisted, it is an unknown variable.
        return [name for name in super().__dir__() if name.startswith("_")]


def _children(node: Node):
    for name in node.child_nodelists:
        nodelist = getattr(node, name, None)
        if nodelist:
            yield nodelist


def _depth(nodelist) -> int:
    return max((1 + _depth(child) for node in nodelist for child in _children(node)), default=0)


def _bounded(template):
    """TEMPLATE, refused if its blocks nest deeper than MAX_NESTING, and metered as it renders.

    Each node's output is checked as it is made: a leaf's (literal text, a variable, {% now %}) is
    counted against one budget of MAX_RENDERED characters for the whole render, and no node's output
    may pass MAX_RENDERED. The template is compiled for this one render, so the budget is its own.
    """
    depth = _depth(template.nodelist)
    if depth > MAX_NESTING:
        raise TemplateLimitError(f"Blocks nest {depth} deep; keep it to {MAX_NESTING}.")
    left = [MAX_RENDERED]
    for node in template.nodelist.get_nodes_by_type(Node):
        node.render_annotated = _metered(node.render_annotated, not any(_children(node)), left)
    return template


def _metered(render_node, leaf: bool, left: list[int]):
    def metered(context):
        output = render_node(context)
        if leaf:
            left[0] -= len(output)
        if left[0] < 0 or len(output) > MAX_RENDERED:
            raise _too_large()
        return output

    return metered


def render(source: str, context: dict, engine: Engine | None = None) -> str:
    """SOURCE rendered with CONTEXT (plain strings only), stripped.

    Raises TemplateSyntaxError, or TemplateLimitError past MAX_RENDERED characters or MAX_NESTING levels.
    """
    values = Context({name: Value(value) for name, value in context.items()}, autoescape=False)
    return str(_bounded((engine or _engine).from_string(source)).render(values)).strip()


class _UnknownNames(str):
    """An engine's string_if_invalid that records the names it stands in for, and renders as nothing."""

    def __new__(cls):
        unknown = super().__new__(cls, "%s")
        unknown.names = []
        return unknown

    def __mod__(self, name):
        self.names.append(str(name))
        return ""


def check(source: str, context: dict) -> str:
    """Render SOURCE against a sample CONTEXT; return the text or raise ValueError saying what is wrong."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise ValueError(f"Keep a template under {MAX_TEMPLATE_LENGTH} characters.")
    unknown = _UnknownNames()
    try:
        text = render(source, context, _sandbox_engine(string_if_invalid=unknown))
    except TemplateLimitError as exc:
        raise ValueError(f"The template is too big when rendered: {exc}") from None
    except TemplateSyntaxError as exc:
        raise ValueError(f"The template does not render: {exc}") from None
    except Exception as exc:  # a filter given the wrong argument, say: still the template's fault
        raise ValueError(f"The template does not render: {type(exc).__name__}: {exc}") from None
    if unknown.names:
        names = ", ".join(sorted(set(unknown.names)))
        raise ValueError(f"Unknown variable: {names}. Use only: {', '.join(sorted(context))}.")
    if not text:
        raise ValueError("The template renders to nothing on the sample incident.")
    _check_long_values(source, context)
    return text


def _check_long_values(source: str, context: dict) -> None:
    """SOURCE must stay within the bounds on the longest values Vigil accepts, not only on the sample."""
    long = {name: _long(value, LONG_SAMPLE_LENGTHS.get(name, 0)) for name, value in context.items()}
    try:
        render(source, long)
    except TemplateLimitError as exc:
        lengths = ", ".join(f"{name} of {size:,} characters" for name, size in LONG_SAMPLE_LENGTHS.items())
        raise ValueError(f"On long values ({lengths}) the template is too big when rendered: {exc}") from None
    except Exception as exc:
        raise ValueError(f"On long values the template does not render: {type(exc).__name__}: {exc}") from None


def _long(value: str, size: int) -> str:
    return ("Lorem ipsum dolor sit amet. " * (size // 28 + 1))[:size] if size > len(value) else value


def stored(event: str) -> dict[str, str]:
    """The parts of EVENT an admin customised (one query)."""
    return dict(MessageTemplate.objects.filter(event=event).values_list("part", "body"))


def sources(event: str) -> dict[str, str]:
    """Each part's template: the stored one, else the default."""
    custom = stored(event)
    return {part: custom.get(part, DEFAULTS[(event, part)]) for part in EVENT_PARTS[event]}


def render_part(event: str, part: str, source: str, context: dict) -> str:
    """Render one part; a stored template that fails now (it passed when saved) falls back to the default.

    A broken custom text must not stop a fan-out or a page.
    """
    try:
        return render(source, context)
    except Exception:
        default = DEFAULTS[(event, part)]
        if source == default:
            raise
        logger.exception("The %s template of %s failed; the default was used", part, event)
        return render(default, context)


_RECIPIENT = re.compile(r"\brecipient_name\b")


def uses_recipient(source: str) -> bool:
    return bool(_RECIPIENT.search(source))
