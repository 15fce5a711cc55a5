"""The agent's loop: keep the assignment fresh, probe each monitor on its interval, push results.

Three tasks share one event loop: the poller asks Vigil for the assignment (with its ETag, so an
unchanged one costs a 304), the prober starts every due monitor's probe through the engine
(vigil_probes.run_probes, under the agent's address rule and concurrency), and the pusher moves
results to the outbox file and sends it, every push period and at once after a failed check or
any change of outcome (a failure reaches Vigil's confirmation in a round trip, not a push period
later). Vigil
being down stops only the pusher's sending and the poller's refreshing: probing goes on with the
last assignment, which is also kept on disk so an agent restarted during an outage still knows its
monitors.
"""

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from vigil_probes import Probe, ProbeConfigError, ProbeResult, run_probes
from vigil_probes.wire import probe_from_dict

from .client import Rejected, Unreachable, VigilClient
from .config import Config
from .outbox import Outbox

logger = logging.getLogger(__name__)

BATCH = 500  # results per push
TICK = 0.2  # how often the prober looks for due monitors, in seconds


@dataclass(frozen=True)
class Assigned:
    id: int
    name: str
    interval: float
    probe: Probe


def parse_assignment(monitors: list[dict[str, Any]]) -> dict[int, Assigned]:
    """The monitors the agent can run; one the engine refuses is logged and left out."""
    assigned = {}
    for item in monitors:
        try:
            probe = probe_from_dict(item["probe"])
        except (ProbeConfigError, KeyError) as exc:
            logger.error("monitor %s cannot be run here: %s", item.get("id"), exc)
            continue
        assigned[item["id"]] = Assigned(item["id"], item.get("name", ""), float(item["interval_seconds"]), probe)
    return assigned


# What a browser check's result carries to Vigil: its steps' times, the failing step, the console
# errors. Not its screenshot: tens of KB each, too heavy for the disk buffer and the push batches.
BROWSER_DETAILS = ("steps", "failed_step", "console_errors")


def as_json(monitor_id: int, result: ProbeResult) -> dict[str, Any]:
    data = {
        "monitor": monitor_id,
        "checked_at": result.checked_at.isoformat(),
        "state": str(result.state),
        "latency_ms": result.latency_ms,
        "status_code": result.status_code,
        "reason": result.reason,
    }
    if "steps" in result.details:
        data["browser"] = {key: result.details[key] for key in BROWSER_DETAILS if key in result.details}
    return data


class Agent:
    def __init__(self, config: Config, client: VigilClient):
        self.config = config
        self.client = client
        self.outbox = Outbox(config.buffer_path)
        self.monitors: dict[int, Assigned] = {}
        self.next_due: dict[int, float] = {}
        self.running: set[int] = set()
        self.fresh: list[dict[str, Any]] = []  # results not yet in the outbox
        self.etag: str | None = None
        self.vigil_reachable = True
        self.probes: set[asyncio.Task] = set()
        self.last_state: dict[int, str] = {}  # monitor -> its last outcome here
        self.changed = asyncio.Event()  # a check failed or an outcome changed: push now, not at the next period

    # --- the assignment ---------------------------------------------------------------

    def load_saved_assignment(self) -> None:
        try:
            saved = json.loads(self.config.assignment_path.read_text())
        except (FileNotFoundError, ValueError):
            return
        self.use(parse_assignment(saved["monitors"]))
        self.etag = saved.get("etag")
        logger.info("starting with the saved assignment: %d monitors", len(self.monitors))

    def use(self, monitors: dict[int, Assigned]) -> None:
        """Run MONITORS from now on: a new one is due at once, a kept one keeps its rhythm."""
        now = time.monotonic()
        self.next_due = {pk: self.next_due.get(pk, now) for pk in monitors}
        self.monitors = monitors

    async def refresh(self) -> None:
        monitors, etag = await self.client.assignments(self.etag)
        if monitors is None:
            return
        self.use(parse_assignment(monitors))
        self.etag = etag
        self.config.assignment_path.write_text(json.dumps({"etag": etag, "monitors": monitors}))
        logger.info("assignment: %d monitors", len(self.monitors))

    async def poll(self) -> None:
        while True:
            try:
                await self.refresh()
            except Unreachable as exc:
                if self.vigil_reachable:  # said once an outage (push says when Vigil is back)
                    logger.warning("cannot reach Vigil for the assignment (%s); probing with the last one", exc)
            await asyncio.sleep(self.config.poll_seconds)

    # --- probing ----------------------------------------------------------------------

    async def probe_due(self) -> None:
        while True:
            now = time.monotonic()
            due = [m for pk, m in self.monitors.items() if self.next_due[pk] <= now and pk not in self.running]
            # At most `concurrency` probes in flight across batches; the rest stay due for the next tick.
            due = sorted(due, key=lambda m: self.next_due[m.id])[: max(0, self.config.concurrency - len(self.running))]
            if due:
                for monitor in due:
                    # The cadence runs from when a check was due, not when it started, as in Vigil.
                    following = self.next_due[monitor.id] + monitor.interval
                    self.next_due[monitor.id] = following if following > now else now + monitor.interval
                    self.running.add(monitor.id)
                task = asyncio.create_task(self._run(due))
                self.probes.add(task)
                task.add_done_callback(self.probes.discard)
            await asyncio.sleep(TICK)

    async def _run(self, monitors: list[Assigned]) -> None:
        try:
            results = await run_probes([m.probe for m in monitors], self.config.concurrency, policy=self.config.policy)
            for monitor, result in zip(monitors, results, strict=True):
                self.fresh.append(as_json(monitor.id, result))
                state = str(result.state)
                if state == "down" or self.last_state.get(monitor.id, "up") != state:
                    self.changed.set()  # a failure (or a recovery) is news: Vigil confirms sooner
                self.last_state[monitor.id] = state
        finally:
            self.running.difference_update(m.id for m in monitors)

    # --- pushing ----------------------------------------------------------------------

    async def push_loop(self) -> None:
        """Push every push_seconds, and at once after a failure or a change (module docstring)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=self.config.push_seconds)
            self.changed.clear()
            await self.push()

    async def push(self) -> None:
        """Fresh results into the outbox, then the outbox to Vigil, oldest first, a batch at a time."""
        fresh, self.fresh = self.fresh, []
        self.outbox.append(fresh)
        pending = self.outbox.pending()
        sent = 0
        try:
            while sent < len(pending):
                batch = pending[sent : sent + BATCH]
                try:
                    await self.client.push(batch)
                except Rejected as exc:
                    # Resending a batch Vigil finds wrong would block every later one: drop it, loudly.
                    logger.error("Vigil rejected %d results, dropped: %s", len(batch), exc)
                sent += len(batch)
        except Unreachable as exc:
            if self.vigil_reachable:
                logger.warning("cannot reach Vigil (%s); buffering results in %s", exc, self.outbox.path)
            self.vigil_reachable = False
        else:
            if not self.vigil_reachable:
                logger.info("Vigil is back: sent %d buffered results", sent)
            self.vigil_reachable = True
        finally:
            if sent:
                self.outbox.drop(sent)

    async def run(self, stop: asyncio.Event) -> None:
        """Until STOP is set (or the token is refused, client.Refused, which ends the agent)."""
        self.load_saved_assignment()
        await self.refresh_or_start_offline()
        loops = [asyncio.create_task(loop()) for loop in (self.poll, self.probe_due, self.push_loop)]
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*loops, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopping:
                    task.result()  # a loop ended: only by an exception (Refused), raised here
        finally:
            for task in [*loops, stopping, *self.probes]:
                task.cancel()
            await asyncio.gather(*loops, *self.probes, return_exceptions=True)
            await self.last_push()

    async def last_push(self) -> None:
        """On the way out: one short try to send what is left; whatever is not sent stays in the outbox."""
        try:
            await asyncio.wait_for(self.push(), timeout=5)
        except Exception as exc:  # stopping anyway; the outbox keeps the results for the next start
            logger.info("results left for the next start (%s)", type(exc).__name__)
            self.outbox.append(self.fresh)
            self.fresh = []

    async def refresh_or_start_offline(self) -> None:
        try:
            await self.refresh()
        except Unreachable as exc:
            if not self.monitors:
                logger.warning("cannot reach Vigil (%s) and no saved assignment yet: waiting", exc)
