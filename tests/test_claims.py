"""vigil.claims: due rows are taken in order, once, by one of several workers claiming at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from monitoring.models import Monitor
from vigil import claims


def make_monitors(count: int, due_in: float = -1.0) -> list[Monitor]:
    now = timezone.now()
    return Monitor.objects.bulk_create(
        Monitor(
            name=f"m{i}",
            target="https://example.com/",
            next_check_at=now + timedelta(seconds=due_in) - timedelta(milliseconds=i),
        )
        for i in range(count)
    )


def due(now):
    return Monitor.objects.filter(next_check_at__lte=now).exclude(state=Monitor.State.PAUSED).order_by("next_check_at")


def test_it_takes_due_rows_in_order_up_to_the_limit_and_returns_them_as_they_were(db):
    monitors = make_monitors(4)
    make_monitors(2, due_in=60)  # not due
    now = timezone.now()
    lease = now + timedelta(minutes=2)
    claimed = claims.claim(due(now), 3, ("name", "next_check_at"), next_check_at=lease)
    oldest = list(reversed(monitors))[:3]
    assert claimed == [(m.pk, m.name, m.next_check_at) for m in oldest]
    assert set(Monitor.objects.filter(pk__in=[m.pk for m in oldest]).values_list("next_check_at", flat=True)) == {lease}
    assert [pk for pk, *_ in claims.claim(due(now), 10, next_check_at=lease)] == [monitors[0].pk]
    assert claims.claim(due(now), 10, next_check_at=lease) == []  # every due row is held


def test_changes_may_be_expressions_of_the_row(db):
    make_monitors(2)
    Monitor.objects.update(failure_threshold=2)
    claimed = claims.claim(due(timezone.now()), 10, failure_threshold=F("failure_threshold") + 1)
    assert len(claimed) == 2
    assert set(Monitor.objects.values_list("failure_threshold", flat=True)) == {3}


def test_a_lease_may_last_each_rows_own_interval(db):
    short, long = make_monitors(2)
    Monitor.objects.filter(pk=short.pk).update(interval_seconds=30)
    Monitor.objects.filter(pk=long.pk).update(interval_seconds=90_000)  # over a day: no wrap at 86,400 s
    now = timezone.now().replace(microsecond=123_456)
    assert len(claims.claim(due(now), 10, next_check_at=claims.lease_until(now, "interval_seconds"))) == 2
    assert Monitor.objects.get(pk=short.pk).next_check_at == now + timedelta(seconds=30)
    assert Monitor.objects.get(pk=long.pk).next_check_at == now + timedelta(seconds=90_000)


def test_without_row_locks_a_row_another_worker_took_meanwhile_is_left_to_it(db, monkeypatch):
    """Healthchecks' way, on a backend with neither SKIP LOCKED nor an IMMEDIATE transaction."""
    monitors = make_monitors(3)
    now = timezone.now()
    taken = monitors[1]

    def another_worker_got_there_first() -> bool:  # asked right after the candidates were read
        Monitor.objects.filter(pk=taken.pk).update(next_check_at=now + timedelta(hours=1))
        return False

    monkeypatch.setattr(claims, "_holds_rows", another_worker_got_there_first)
    claimed = claims.claim(due(now), 10, next_check_at=now + timedelta(minutes=2))
    assert [pk for pk, *_ in claimed] == [monitors[2].pk, monitors[0].pk]
    assert Monitor.objects.get(pk=taken.pk).next_check_at == now + timedelta(hours=1)


def test_both_supported_databases_keep_the_rows_read_until_the_commit(db):
    assert claims._holds_rows(), f"{connection.vendor}: claims would fall back to one UPDATE per row"


@pytest.mark.django_db(transaction=True)
def test_four_workers_claiming_at_once_take_every_row_exactly_once():
    """SKIP LOCKED on PostgreSQL, the IMMEDIATE transaction on SQLite: the same outcome."""
    make_monitors(200)
    lease = timezone.now() + timedelta(minutes=2)
    taken, errors = [], []
    barrier = threading.Barrier(4)

    def work():
        try:
            barrier.wait(timeout=10)
            while batch := claims.claim(due(timezone.now()), 15, next_check_at=lease):
                taken.extend(pk for (pk,) in batch)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(taken) == 200 and len(set(taken)) == 200
