"""The steps of a scripted browser check: declared data, never code.

A script is a JSON list of objects, each with exactly one action key and an optional "name":

    [{"fill": "#username", "value": "probe"},
     {"fill": "#password", "value": "${secret:SHOP_PASSWORD}"},
     {"click": "button[type=submit]", "name": "log in"},
     {"wait_for_text": "Welcome"},
     {"expect_status": 200}]

The browser opens the probe's URL first, as the step named "open". Text and selectors are plain
strings handed to Playwright's locators; nothing is evaluated as script. A value of the form
${secret:NAME} is looked up where the probe runs (browser.use_secrets), so a password is stored as
its name only. STEP_SCHEMA is the same rule as JSON Schema, for editors and the API's readers.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .config import ProbeConfigError
from .config import _check_timeout as check_timeout

MAX_STEPS = 50
MAX_TEXT = 2000
MAX_NAME = 100
# action -> (what its argument is, what else it takes besides "name")
ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "goto": ("url", frozenset()),
    "fill": ("selector", frozenset({"value"})),
    "click": ("selector", frozenset()),
    "wait_for_selector": ("selector", frozenset()),
    "wait_for_text": ("text", frozenset()),
    "expect_text": ("text", frozenset()),
    "expect_status": ("status", frozenset()),
}
SECRET = re.compile(r"\$\{secret:([A-Za-z_][A-Za-z0-9_]{0,63})\}")

STEP_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Browser check steps",
    "type": "array",
    "maxItems": MAX_STEPS,
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": MAX_NAME},
            "goto": {"type": "string", "maxLength": MAX_TEXT, "description": "http(s) URL or a path"},
            "fill": {"type": "string", "maxLength": MAX_TEXT, "description": "selector"},
            "value": {"type": "string", "maxLength": MAX_TEXT, "description": "text, or ${secret:NAME}"},
            "click": {"type": "string", "maxLength": MAX_TEXT, "description": "selector"},
            "wait_for_selector": {"type": "string", "maxLength": MAX_TEXT},
            "wait_for_text": {"type": "string", "maxLength": MAX_TEXT},
            "expect_text": {"type": "string", "maxLength": MAX_TEXT},
            "expect_status": {"type": "integer", "minimum": 100, "maximum": 599},
        },
        "additionalProperties": False,
        "oneOf": [{"required": [action]} for action in ACTIONS],
        "dependentRequired": {"fill": ["value"]},
    },
}


@dataclass(frozen=True, slots=True)
class Step:
    """One step: ACTION on ARGUMENT (a URL, selector, text or status), VALUE for fill."""

    action: str
    argument: str | int
    value: str = ""
    name: str = ""

    @property
    def label(self) -> str:
        """The step's name, or one made from its action: "click #login" (quoted whole in reasons)."""
        return self.name or f"{self.action} {self.argument}"[:MAX_NAME]

    def as_dict(self) -> dict:
        data: dict = {self.action: self.argument}
        if self.action == "fill":
            data["value"] = self.value
        if self.name:
            data["name"] = self.name
        return data


def _text(ok_value, where: str, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(ok_value, str) or not ok_value.strip() or len(ok_value) > limit:
        raise ProbeConfigError("steps", f"{where}: {what} must be text of 1 to {limit} characters")
    return ok_value


def parse_step(data, number: int) -> Step:
    """The Step DATA declares; ProbeConfigError('steps', 'step N: ...') on anything else."""
    where = f"step {number}"
    if isinstance(data, Step):
        data = data.as_dict()
    if not isinstance(data, Mapping):
        raise ProbeConfigError("steps", f'{where} must be an object such as {{"click": "#login"}}')
    actions = [key for key in data if key in ACTIONS]
    if len(actions) != 1:
        raise ProbeConfigError("steps", f"{where} must have exactly one of {', '.join(ACTIONS)}")
    action = actions[0]
    kind, extras = ACTIONS[action]
    unknown = sorted(set(data) - {action, "name"} - extras)
    if unknown:
        raise ProbeConfigError("steps", f"{where}: {unknown[0]!r} is not part of a {action} step")
    name = data.get("name", "")
    if name:
        _text(name, where, "name", MAX_NAME)
    argument = data[action]
    if kind == "status":
        ok = isinstance(argument, int) and not isinstance(argument, bool) and 100 <= argument <= 599
        if not ok:
            raise ProbeConfigError("steps", f"{where}: expect_status must be a status code from 100 to 599")
    else:
        _text(argument, where, kind)
    if kind == "url":
        _check_url(argument, where)
    value = ""
    if action == "fill":
        value = data.get("value")
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ProbeConfigError("steps", f'{where}: fill needs a "value" of at most {MAX_TEXT} characters')
    return Step(action, argument, value, name)


def _check_url(url: str, where: str) -> None:
    if url.startswith("/") and not url.startswith("//"):
        return  # a path on the probe's own site
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeConfigError("steps", f"{where}: goto needs an http(s) URL or a path starting with /")


def parse_steps(steps) -> tuple[Step, ...]:
    """STEPS (a list of objects, or of Steps) as a tuple of Steps, each checked by parse_step."""
    if isinstance(steps, str | bytes | Mapping) or not isinstance(steps, list | tuple):
        raise ProbeConfigError("steps", "must be a list of steps")
    if len(steps) > MAX_STEPS:
        raise ProbeConfigError("steps", f"at most {MAX_STEPS} steps")
    return tuple(parse_step(step, number) for number, step in enumerate(steps, 1))


def secret_names(steps: tuple[Step, ...]) -> set[str]:
    """The NAMEs of every ${secret:NAME} the steps refer to."""
    return {name for step in steps for name in SECRET.findall(step.value)}


@dataclass(frozen=True, slots=True)
class BrowserProbe:
    """A scripted check in Chromium: open URL, then run STEPS (parse_steps) within TIMEOUT seconds.

    Steps may be given as JSON objects or Steps; they are kept as a tuple of Steps, so the probe
    stays hashable. A goto path ("/login") is taken relative to URL.
    """

    url: str
    steps: tuple[Step, ...] = ()
    timeout: float = 30.0
    degraded_after_ms: int | None = None  # the steps' total time above which the check is degraded

    def __post_init__(self):
        parts = urlsplit(self.url) if isinstance(self.url, str) else None
        ok = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        if not ok:
            raise ProbeConfigError("url", "must start with http:// or https:// and name a host")
        object.__setattr__(self, "steps", parse_steps(self.steps))
        check_timeout(self.timeout)
        threshold = self.degraded_after_ms
        ok = threshold is None or (isinstance(threshold, int) and not isinstance(threshold, bool) and threshold > 0)
        if not ok:
            raise ProbeConfigError("degraded_after_ms", "must be empty or a positive number of milliseconds")
