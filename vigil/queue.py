"""Queue a Celery task by its name, after the current transaction commits.

Actions queue work without importing the module that defines the task, so `tasks.py` files
stay leaves that only wrap actions (no import circle through them):

    from vigil.queue import enqueue
    enqueue("comms.tasks.fan_out", update.pk)
    enqueue("incidents.tasks.escalate", incident.pk, step, countdown=60)

The task is looked up in the Celery app's registry; the first time a name is asked for, its
module is imported (so a web process that never imported it still finds it). A name that
names no task fails at once, in the caller, not later in a worker. Sending goes through the
task's own `apply_async`, so CELERY_TASK_ROUTES picks the queue and an eager test
configuration runs the task in place. By default the message is sent once the surrounding
transaction commits (at once outside one): a worker never reads rows that are not there yet,
and a rolled-back action queues nothing.

`robust=True` is for work a sweeper picks up anyway (the outbox, fan-outs, status page
rebuilds): a broker that cannot be reached is logged and does not fail what was written.
"""

import logging
from importlib import import_module

from celery import Task
from celery.exceptions import NotRegistered
from django.db import transaction

from .celery import app

logger = logging.getLogger(__name__)


def task(name: str) -> Task:
    """The registered task called `name` ("app.module.function"). Raises NotRegistered for no such task."""
    try:
        return app.tasks[name]
    except KeyError:
        pass
    module = name.rpartition(".")[0]
    try:
        if module:
            import_module(module)  # defining the task registers it
    except ModuleNotFoundError as exc:
        if not (module == exc.name or module.startswith(f"{exc.name}.")):
            raise  # the module exists but imports something missing: that is its own error
    try:
        return app.tasks[name]
    except KeyError:
        raise NotRegistered(f"No Celery task is called {name!r}") from None


def enqueue(name: str, *args, on_commit: bool = True, robust: bool = False, **options) -> None:
    """Send task `name` with positional `args`; `options` go to apply_async (countdown, expires, queue,
    kwargs...). With `robust`, a failure to send is logged instead of raised (its sweeper catches up)."""
    chosen = task(name)

    def send() -> None:
        try:
            chosen.apply_async(args=args, **options)
        except Exception:
            if not robust:
                raise
            logger.exception("Could not queue %s%r; its sweeper or beat will catch up", name, args)

    if on_commit:
        transaction.on_commit(send)
    else:
        send()
