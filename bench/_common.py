"""What the monitoring benchmarks share: Vigil's real scheduler and probe workers on a fresh database.

    with VigilMonitoring(args) as vigil:
        ...  # create monitors with the ORM; vigil.dispatcher hands them out every second

VigilMonitoring makes a PostgreSQL database (dropped and made again, as bench/alerts.py does),
migrates it, and runs, with Redis as the broker:

- a Celery probe worker: `celery -A vigil worker -Q probes`, real processes consuming the real
  monitoring.tasks.run_checks batches;
- the dispatcher: monitoring.dispatch.dispatch() called once a second by a thread of this
  process, as beat calls the monitoring.tasks.dispatch task (without the hop through a worker);
- a sampler of the workers' memory: the resident set of every worker process, summed, read
  from /proc every half second.

On exit it stops all three, empties Vigil's queues in the broker and drops the database.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.alerts import drop_database, free_port, recreate_database, server_environment  # noqa: E402
from bench.probe_engine_quick import start_target  # noqa: E402

CELERY = Path(sys.executable).parent / "celery"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"

__all__ = [
    "DEFAULT_REDIS",
    "VigilMonitoring",
    "add_arguments",
    "cpu_seconds",
    "free_port",
    "percentile",
    "purge_queues",
    "start_target",
    "stop_process",
]


def add_arguments(parser, database: str) -> None:
    """The options every monitoring benchmark takes."""
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default=database)
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="broker (Vigil's queues in it are emptied)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Dispatcher(threading.Thread):
    """Calls monitoring.dispatch.dispatch() every second on a fixed beat, as beat would."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.claim_lags: list[float] = []  # due -> claimed, seconds, as the dispatcher reports them
        self.dispatched: list[tuple[int, float]] = []  # (monitor id, due time) of each probe handed out
        self.error: BaseException | None = None

    def send(self, payload: dict) -> None:
        """Queues a batch as the dispatcher does, noting the due time each check serves."""
        from monitoring.dispatch import send_batch

        self.dispatched.extend((pk, due) for pk, due in payload["items"])
        send_batch(payload)

    def run(self):
        from django.db import connection

        from monitoring.dispatch import dispatch

        beat = time.monotonic()
        try:
            while not self.stopping.is_set():
                self.claim_lags.extend(dispatch(send=self.send).lags_s)
                beat += 1.0
                self.stopping.wait(max(0.0, beat - time.monotonic()))
        except BaseException as exc:  # reported by the main thread, which would otherwise wait forever
            self.error = exc
        finally:
            connection.close()

    def stop(self):
        self.stopping.set()
        self.join()


def process_tree(root: int) -> list[int]:
    """ROOT and all its descendants, from /proc (psutil may not be installed)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(roots: list[int]) -> float:
    """CPU seconds (user + system) used so far by the process trees of ROOTS, from /proc.

    Each process counts its own time and that of its children it has reaped (cutime, cstime),
    so a worker child that exits between two readings moves to its parent, not out of the sum.
    """
    total = 0
    for pid in (pid for root in roots for pid in process_tree(root)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime (fields 14-17)
    return total / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakMemory(threading.Thread):
    """The largest sum of resident sets seen across the process trees of ROOTS."""

    def __init__(self, roots: list[int]):
        super().__init__(daemon=True)
        self.roots = roots
        self.peak = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.5):
            total = sum(rss_bytes(pid) for root in self.roots for pid in process_tree(root))
            self.peak = max(self.peak, total)

    def stop(self):
        self.stopping.set()
        self.join()


class VigilMonitoring:
    """A fresh database, probe workers, the dispatcher and a memory sampler, torn down on exit."""

    def __init__(self, args, *, concurrency: int = 2, extra_env: dict | None = None):
        self.args = args
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
        self.workers: list[subprocess.Popen] = []
        self.dispatcher = Dispatcher()
        self.memory: PeakMemory | None = None
        self.database_made = self.django_ready = False

    def __enter__(self):
        try:
            self._setup_django()
            self._purge_queues()
            self._start_workers()
            self.dispatcher.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        if self.dispatcher.is_alive():
            self.dispatcher.stop()
        if self.memory is not None:
            self.memory.stop()
        for worker in self.workers:
            stop_process(worker)
        if self.django_ready:
            from django.db import connections

            connections.close_all()
            self._purge_queues()
        if self.database_made and not self.args.keep_db:
            drop_database(self.args.postgres, self.args.database)
        shutil.rmtree(self.var_dir, ignore_errors=True)

    @property
    def peak_mb(self) -> float:
        return self.memory.peak / 2**20 if self.memory else 0.0

    def check_alive(self) -> None:
        """Fail loudly if the dispatcher or a worker died: the figures would mean nothing."""
        if self.dispatcher.error is not None:
            raise RuntimeError("the dispatcher failed") from self.dispatcher.error
        for worker in self.workers:
            if worker.poll() is not None:
                raise RuntimeError(f"a probe worker exited:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.var_dir / "workers.log").read_text()[-3000:]

    def _setup_django(self) -> None:
        database_url = recreate_database(self.args.postgres, self.args.database, getattr(self.args, "template", None))
        self.database_made = True
        self.env = server_environment(
            database_url=database_url, redis_url=self.args.redis, port=8000, var_dir=str(self.var_dir)
        )
        self.env.update(DJANGO_SETTINGS_MODULE="vigil.settings", **self.extra_env)
        os.environ.update(self.env)
        import django

        django.setup()
        self.django_ready = True
        from django.core.management import call_command

        call_command("migrate", verbosity=0)

    def _purge_queues(self) -> None:
        purge_queues()

    def _start_workers(self) -> None:
        from django.conf import settings

        from vigil.celery import app

        hostname = f"bench-probes-{os.getpid()}@localhost"
        command = [
            str(CELERY), "-A", "vigil", "worker",
            "--queues", settings.VIGIL_PROBE_QUEUE,
            "--pool", "prefork",
            "--concurrency", str(self.concurrency),
            "--hostname", hostname,
            "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with (self.var_dir / "workers.log").open("w") as log:
            worker = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        self.memory = PeakMemory([worker.pid for worker in self.workers])
        self.memory.start()
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the probe worker did not start:\n{self.log_tail()}")


def purge_queues() -> None:
    """Batches left by an earlier run must not reach this run's workers, nor tasks (escalations
    of the incidents a run opens) outlive it in the broker."""
    from django.conf import settings

    from vigil.celery import app

    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    with app.connection_for_write() as conn:
        for queue in queues | {settings.CELERY_TASK_DEFAULT_QUEUE}:
            conn.default_channel.queue_purge(queue)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
