"""Runs many probes at once on one event loop, each under a hard timeout.

    results = run_probes_sync([HttpProbe("https://example.com/"), TcpProbe("db", 5432)], concurrency=200)

A fixed set of workers pulls probes from the list, so at most `concurrency` run at a time and
memory stays flat however long the list. Results come back in the order of the probes. One
probe's failure, however odd, becomes that probe's down result; it never ends the batch.
"""

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

import aiohttp

from .browser import BrowserPool, check_browser
from .config import DnsProbe, HttpProbe, Probe, TcpProbe, TlsProbe
from .dns import check_dns
from .http import check_http, make_session
from .net import AddressPolicy
from .result import ProbeFailure, ProbeResult, Progress, format_seconds
from .safety import default_policy
from .steps import BrowserProbe
from .tcp import check_tcp
from .tls import check_tls

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 100
DEFAULT_BROWSER_CONCURRENCY = 2

Check = Callable[[Probe, "ProbeContext", Progress], Awaitable[ProbeResult]]
CHECKS: dict[type, Check] = {
    HttpProbe: check_http,
    TcpProbe: check_tcp,
    TlsProbe: check_tls,
    DnsProbe: check_dns,
    BrowserProbe: check_browser,
}


class ProbeContext:
    """What the probes of one batch share: the address rule and, when needed, one HTTP session and
    one Chromium (browser.BrowserPool, launched by the first browser probe)."""

    def __init__(self, policy: AddressPolicy, http: bool, browser_concurrency: int = DEFAULT_BROWSER_CONCURRENCY):
        self.policy = policy
        self.http_session: aiohttp.ClientSession | None = make_session(policy) if http else None
        self.browsers = BrowserPool(browser_concurrency, policy)

    def slot(self, probe: Probe):
        """What PROBE waits for before its timeout starts: a browser slot, or nothing."""
        return self.browsers.slots if type(probe) is BrowserProbe else contextlib.nullcontext()

    async def close(self) -> None:
        if self.http_session is not None:
            await self.http_session.close()
        await self.browsers.close()


async def run_probe(probe: Probe, context: ProbeContext) -> ProbeResult:
    """One probe under its hard timeout; every failure becomes a down result with a reason."""
    progress = Progress()
    try:
        async with asyncio.timeout(probe.timeout):
            return await CHECKS[type(probe)](probe, context, progress)
    except ProbeFailure as failure:
        return progress.down(failure.reason, failure.status_code, failure.details)
    except TimeoutError:
        return progress.down(f"timed out after {format_seconds(probe.timeout)} while {progress.step}")
    except Exception as exc:  # a bug or a library's surprise must not end the batch
        logger.exception("probe %r failed unexpectedly", probe)
        return progress.down(f"probe error: {type(exc).__name__}")


async def run_probes(
    probes: Iterable[Probe],
    concurrency: int = DEFAULT_CONCURRENCY,
    *,
    policy: AddressPolicy | None = None,
    browser_concurrency: int = DEFAULT_BROWSER_CONCURRENCY,
) -> list[ProbeResult]:
    """Runs PROBES, at most CONCURRENCY at a time and of them at most BROWSER_CONCURRENCY browser
    probes; the address rule defaults to the one plugged in with safety.use_default_policy (in
    Vigil, VIGIL_PROBE_ALLOWED_NETWORKS)."""
    probes = list(probes)
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    for probe in probes:
        if type(probe) not in CHECKS:
            raise TypeError(f"not a probe: {probe!r}")
    if policy is None:
        policy = default_policy()
    results: list[ProbeResult | None] = [None] * len(probes)
    queue = iter(enumerate(probes))  # shared by the workers; next() never yields to the loop

    async def worker():
        for index, probe in queue:
            async with context.slot(probe):
                if type(probe) is BrowserProbe:
                    await context.browsers.warm()  # outside the probe's timeout
                results[index] = await run_probe(probe, context)

    http = any(type(probe) is HttpProbe for probe in probes)
    context = ProbeContext(policy, http, browser_concurrency)
    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(probes)))))
    finally:
        await context.close()
    return results


def run_probes_sync(
    probes: Iterable[Probe],
    concurrency: int = DEFAULT_CONCURRENCY,
    *,
    policy: AddressPolicy | None = None,
    browser_concurrency: int = DEFAULT_BROWSER_CONCURRENCY,
) -> list[ProbeResult]:
    """run_probes for synchronous callers (Celery tasks): a new event loop, uvloop when installed."""
    if policy is None:
        policy = default_policy()  # read here, outside the loop's thread pool
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        # Host lookups run in the loop's thread pool; the default six threads would queue them.
        resolvers = concurrent.futures.ThreadPoolExecutor(max_workers=min(64, max(4, concurrency)))
        runner.get_loop().set_default_executor(resolvers)
        return runner.run(run_probes(probes, concurrency, policy=policy, browser_concurrency=browser_concurrency))


def loop_factory():
    """uvloop's loop factory when it is installed, else None (asyncio's own); the agent uses it too."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
