"""vigil.buffers.WriteBehindBuffer, the mechanism under heartbeat pings and alert repeats: one round
trip per request on a thread's own connection, and flushes of at most two batches under a lock.

Needs Redis (REDIS_URL). The buffers' own behaviour with the database is tested with them:
tests/monitoring/test_heartbeats.py and tests/integrations/test_repeats.py.
"""

import logging
import secrets

import pytest
import redis

from vigil.buffers import Flushed, WriteBehindBuffer

# KEYS: the buffer. ARGV: a field. Adds one to it.
ADD_SCRIPT = 'return redis.call("HINCRBY", KEYS[1], ARGV[1], 1)'


class Counter(WriteBehindBuffer):
    label = "test counter"
    flush_wait_seconds = 0.2

    def __init__(self, url: str, prefix: str):
        super().__init__(url, prefix)
        self._add = self.client.register_script(ADD_SCRIPT)

    def add(self, name: str) -> int:
        return self.call(self._add, [self.buffer_key], [name])


@pytest.fixture
def counter(redis_url, monkeypatch):
    monkeypatch.setattr(WriteBehindBuffer, "_instances", {})
    buffer = Counter.get(redis_url, f"vigil:test-buffers:{secrets.token_hex(4)}:")
    yield buffer
    buffer.clear()


def writer(counter: Counter, written: list, during=None, at: int = 1):
    """A write() that records each batch, deletes it, and runs DURING while writing batch number AT."""

    def write(batch: dict[str, str], lock) -> Flushed:
        written.append(batch)
        counter.done()
        if during and len(written) == at:
            during()
        return Flushed(added=sum(int(n) for n in batch.values()), rows=len(batch))

    return write


def test_a_flush_writes_what_requests_added(counter):
    for name in ["a", "a", "b"]:
        counter.add(name)
    written = []
    assert counter.flush(writer(counter, written)) == Flushed(added=3, rows=2)
    assert written == [{"a": "2", "b": "1"}]
    assert not counter.pending()


def test_nothing_buffered_takes_no_lock_and_writes_nothing(counter):
    counter.client.set(counter.lock_key, "held by someone else")
    written = []
    assert counter.flush(writer(counter, written)) == Flushed()
    assert written == []


def test_a_batch_left_behind_comes_first_and_a_flush_takes_two_batches_at_most(counter):
    counter.add("left")
    counter.take()  # a flush that died after taking it
    counter.add("new")

    def more():
        counter.add("later")  # arrives while the second batch is written

    written = []
    assert counter.flush(writer(counter, written, during=more, at=2)).added == 2
    assert written == [{"left": "1"}, {"new": "1"}]
    # The third batch waits for the next flush.
    assert counter.flush(writer(counter, written)).added == 1
    assert written[-1] == {"later": "1"}


def test_a_batch_the_writer_leaves_stops_the_flush(counter):
    counter.add("a")
    calls = []

    def leave(batch, lock):
        calls.append(batch)
        return Flushed(complete=False)

    assert counter.flush(leave) == Flushed(complete=False)
    assert calls == [{"a": "1"}]
    assert counter.pending()  # still there for the next flush


def test_a_flush_that_finds_the_lock_held_writes_nothing(counter, caplog):
    counter.add("a")
    counter.client.set(counter.lock_key, "held by another flush")
    written = []
    assert counter.flush(writer(counter, written), wait=False) == Flushed(complete=False)
    with caplog.at_level(logging.WARNING, logger="vigil.buffers"):
        assert counter.flush(writer(counter, written)) == Flushed(complete=False)  # waited 0.2 s
    assert written == []
    assert "test counter: another flush held the lock" in caplog.text


def test_an_error_in_the_writer_leaves_the_batch_for_the_next_flush(counter):
    counter.add("a")

    def fail(batch, lock):
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        counter.flush(fail)
    counter.add("b")
    written = []
    counter.flush(writer(counter, written))
    assert written == [{"a": "1"}, {"b": "1"}]


def test_an_error_reply_is_raised_after_every_reply_is_read(counter):
    key = f"{counter.prefix}string"
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        counter.run([("SET", key, "1"), ("HGET", key, "field"), ("GET", key)])
    # The connection is not left holding the third reply.
    assert counter.run([("GET", key), ("INCR", key)]) == ["1", 2]


def test_a_redis_that_lost_its_scripts_still_runs_them(counter):
    assert counter.add("a") == 1
    counter.client.script_flush()
    assert counter.add("a") == 2


def test_one_buffer_per_process_and_none_while_paused(counter, redis_url, monkeypatch):
    assert Counter.get(redis_url, counter.prefix) is counter
    assert Counter.get(redis_url, counter.prefix + "other:") is not counter
    counter.pause()  # pause_seconds is 0: nothing to wait for
    assert Counter.get(redis_url, counter.prefix) is counter
    monkeypatch.setattr(Counter, "pause_seconds", 60.0)
    counter.pause()
    assert Counter.get(redis_url, counter.prefix) is None
