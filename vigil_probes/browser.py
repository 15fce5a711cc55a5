"""Runs a BrowserProbe's steps in Chromium through Playwright, timing each one.

Playwright is imported only when a browser probe runs, so the engine (and the agent) work without
it: there, a browser probe is down with "Playwright is not installed on this worker". Chromium is
the system's (use_chromium; Vigil passes VIGIL_CHROMIUM_PATH), never one Playwright downloads.

A batch shares one Chromium (BrowserPool), launched on its first browser probe; each probe gets a
fresh context (no cookies, no cache) and at most `concurrency` run at once. Every connection Chromium
makes goes through the engine's address rule, redirects and WebSockets too (browser_guard.GuardProxy).

The result's details hold each step's time ({"steps": [{"name", "ms"}]}) and the console errors;
on failure also the failing step ("failed_step") and a PNG screenshot, base64 ("screenshot_png").
Each step gets what is left of the probe's time less a reserve for that screenshot, so a slow step
fails as itself, with its picture, before the runner's hard timeout.
"""

import asyncio
import base64
import json
import os
import time
from collections.abc import Callable, Mapping
from urllib.parse import urljoin, urlsplit

from . import net
from .browser_guard import REFUSED_HEADER, GuardProxy
from .result import ProbeFailure, ProbeResult, Progress, State
from .steps import SECRET, BrowserProbe, Step, secret_names

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Chromium's own calls home (safe browsing, reliability reports, pings, default apps): none.
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--disable-default-apps",
    "--no-pings",
    "--metrics-recording-only",
    # WebRTC could reach addresses around the proxy: no UDP but through it (that is, none).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]
VIEWPORT = {"width": 1280, "height": 800}
MAX_CONSOLE_ERRORS = 20
MAX_SCREENSHOT = 2 << 20
LAUNCH_TIMEOUT = 30.0
SCREENSHOT_RESERVE = 0.15  # of the probe's timeout, kept for the screenshot on failure

_chromium_path = os.environ.get("VIGIL_CHROMIUM_PATH", "/usr/bin/chromium")


def _environment_secrets() -> Mapping[str, str]:
    """The agent's source: VIGIL_BROWSER_SECRETS in its environment, a JSON object (else none)."""
    try:
        found = json.loads(os.environ.get("VIGIL_BROWSER_SECRETS") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


_secrets: Callable[[], Mapping[str, str]] = _environment_secrets


def use_chromium(path: str) -> None:
    """Launch the Chromium at PATH (Vigil: VIGIL_CHROMIUM_PATH)."""
    global _chromium_path
    _chromium_path = path


def use_secrets(source: Callable[[], Mapping[str, str]]) -> None:
    """Where ${secret:NAME} in a step is looked up: SOURCE() maps names to values (Vigil: the
    VIGIL_BROWSER_SECRETS setting; an agent: the same variable in its environment by default).
    The script itself holds only the name."""
    global _secrets
    _secrets = source


def chromium_missing() -> str:
    """Why no browser probe can run here ("" when one can)."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed on this worker"
    if not (os.path.isfile(_chromium_path) and os.access(_chromium_path, os.X_OK)):
        return f"Chromium is not installed on this worker (no {_chromium_path})"
    return ""


class BrowserPool:
    """One Chromium for a batch, launched on first use, and the slots that cap browsers at once."""

    def __init__(self, concurrency: int, policy: net.AddressPolicy):
        self.slots = asyncio.Semaphore(concurrency)
        self.guard = GuardProxy(policy)
        self._lock = asyncio.Lock()
        self._playwright = None
        self._browser = None
        self._failure = ""

    async def browser(self):
        async with self._lock:
            if self._browser is None and not self._failure:
                await self._launch()
        if self._failure:
            raise ProbeFailure(self._failure)
        return self._browser

    async def warm(self) -> None:
        """Start Chromium before a probe's own time starts (the runner calls this in the probe's slot):
        a slow launch must not eat the steps' time. A failure is kept for browser() to report."""
        try:
            async with asyncio.timeout(LAUNCH_TIMEOUT):
                await self.browser()
        except ProbeFailure:
            pass
        except TimeoutError:
            self._failure = f"Chromium did not start within {LAUNCH_TIMEOUT:g} s"

    async def _launch(self) -> None:
        self._failure = chromium_missing()
        if self._failure:
            return
        from playwright.async_api import Error, async_playwright

        await self.guard.start()
        self._playwright = await async_playwright().start()
        # Playwright sends loopback through the proxy too (it adds Chromium's "<-loopback>" rule).
        proxy = {"server": f"http://127.0.0.1:{self.guard.port}"}
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=_chromium_path, args=CHROMIUM_ARGS, headless=True, proxy=proxy
            )
        except Error as exc:
            self._failure = f"Chromium did not start: {first_line(exc)}"

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        await self.guard.close()


class StepFailed(Exception):
    """A step's own check did not hold (expected text or status)."""


def first_line(exc: BaseException, limit: int = 240) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]


def with_secrets(probe: BrowserProbe) -> dict[str, str]:
    """The values of the secrets PROBE's steps name; ProbeFailure names one that is not set here."""
    names = secret_names(probe.steps)
    if not names:
        return {}
    source = _secrets()
    missing = sorted(names - set(source))
    if missing:
        raise ProbeFailure(f"secret {missing[0]} is not set on this worker")
    return {name: source[name] for name in names}


class Script:
    """One run of a probe's steps on one page: what it saw, and how long each step took."""

    def __init__(self, probe: BrowserProbe, progress: Progress, refused: dict[str, str], secrets: dict):
        self.probe, self.progress, self.secrets = probe, progress, secrets
        self.refused = refused  # host -> why the address rule refused it (the batch's GuardProxy)
        self.timings: list[dict] = []
        self.console_errors: list[str] = []
        self.status: int | None = None
        self.page_host = ""  # of the main frame's latest navigation
        self.blocked = ""  # the guard's refusal of the main frame's latest navigation
        self.deadline = progress.started + probe.timeout * (1 - SCREENSHOT_RESERVE)

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.console_error(message.text))
        page.on("pageerror", lambda error: self.console_error(str(error)))
        page.on("request", lambda request: self.navigating(page, request))
        page.on("response", lambda response: self.navigated(page, response))

    def console_error(self, text: str) -> None:
        if len(self.console_errors) < MAX_CONSOLE_ERRORS:
            self.console_errors.append(text[:500])

    def navigating(self, page, request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            self.page_host = urlsplit(request.url).hostname or ""

    def navigated(self, page, response) -> None:
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            self.status = response.status
            self.blocked = response.headers.get(REFUSED_HEADER.lower(), "")

    def remaining_ms(self) -> float:
        return max(1.0, (self.deadline - time.perf_counter()) * 1000)

    async def perform(self, page, step: Step) -> None:
        argument, timeout = step.argument, self.remaining_ms()
        match step.action:
            case "goto":
                await page.goto(urljoin(self.probe.url, argument), timeout=timeout)
            case "fill":
                value = SECRET.sub(lambda match: self.secrets[match[1]], step.value)
                await page.locator(argument).first.fill(value, timeout=timeout)
            case "click":
                await page.locator(argument).first.click(timeout=timeout)
                await page.wait_for_load_state(timeout=self.remaining_ms())
            case "wait_for_selector":
                await page.locator(argument).first.wait_for(state="visible", timeout=timeout)
            case "wait_for_text":
                await page.get_by_text(argument).first.wait_for(state="visible", timeout=timeout)
            case "expect_text":
                if argument not in await page.locator("body").inner_text(timeout=timeout):
                    raise StepFailed(f'the page does not show "{argument}"')
            case "expect_status":
                if self.status != argument:
                    raise StepFailed(f"the page's status was {self.status}, not {argument}")

    async def run(self, page) -> None:
        for step in (Step("goto", self.probe.url, name="open"), *self.probe.steps):
            self.progress.step = f'step "{step.label}"'
            started = time.perf_counter()
            try:
                await self.perform(page, step)
                if self.blocked:
                    raise StepFailed(self.blocked)
            except Exception as exc:  # Playwright's errors and timeouts, a StepFailed; never a cancellation
                await self.fail(page, step, exc)
            self.timings.append({"name": step.label, "ms": round((time.perf_counter() - started) * 1000, 1)})

    async def fail(self, page, step: Step, exc: Exception) -> None:
        why = str(exc) if isinstance(exc, StepFailed) else first_line(exc)
        if self.page_host in self.refused:  # an https page the guard refused: Chromium says only "tunnel failed"
            why = self.refused[self.page_host]
        details = self.details(failed_step=step.label)
        shot = await self.screenshot(page)
        if shot:
            details["screenshot_png"] = base64.b64encode(shot).decode("ascii")
        raise ProbeFailure(f'step "{step.label}" failed: {why}', self.status, details)

    async def screenshot(self, page) -> bytes:
        reserve_ms = self.probe.timeout * SCREENSHOT_RESERVE * 1000
        try:
            shot = await page.screenshot(type="png", timeout=reserve_ms * 0.8)
        except Exception:  # no picture is no reason to hide the step's own failure
            return b""
        return shot if len(shot) <= MAX_SCREENSHOT else b""

    def details(self, failed_step: str = "") -> dict:
        details = {"steps": list(self.timings), "console_errors": list(self.console_errors)}
        if failed_step:
            details["failed_step"] = failed_step
        return details


async def check_browser(probe: BrowserProbe, context, progress: Progress) -> ProbeResult:
    """Open PROBE's URL in a fresh browser context and run its steps (module docstring)."""
    secrets = with_secrets(probe)
    progress.step = "starting Chromium"
    browser = await context.browsers.browser()
    script = Script(probe, progress, context.browsers.guard.refused, secrets)
    browser_context = await browser.new_context(viewport=VIEWPORT, service_workers="block")
    try:
        page = await browser_context.new_page()
        script.watch(page)
        await script.run(page)
    finally:
        await browser_context.close()
    # The latency is the steps' own time: starting Chromium and waiting for a slot are not the site's.
    latency_ms = round(sum(step["ms"] for step in script.timings), 2)
    state, reason = State.UP, ""
    if probe.degraded_after_ms is not None and latency_ms > probe.degraded_after_ms:
        state, reason = State.DEGRADED, f"the steps took {latency_ms:.0f} ms, above {probe.degraded_after_ms} ms"
    return progress.result(state, reason, script.status, script.details(), latency_ms)
