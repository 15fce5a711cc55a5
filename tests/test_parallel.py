"""tests/parallel.py: each test process's Redis database."""

import pytest

from tests.parallel import redis_url_for


def test_each_process_takes_the_next_database_then_those_below_and_never_wraps_to_0():
    assert [redis_url_for("redis://127.0.0.1:6379/13", n) for n in range(4)] == [
        "redis://127.0.0.1:6379/13",
        "redis://127.0.0.1:6379/14",
        "redis://127.0.0.1:6379/15",
        "redis://127.0.0.1:6379/12",
    ]
    assert redis_url_for("redis://127.0.0.1:6379/15", 1) == "redis://127.0.0.1:6379/14"  # .ci/run's database
    assert redis_url_for("redis://:secret@127.0.0.1:6379", 2) == "redis://:secret@127.0.0.1:6379/2"


def test_more_processes_than_databases_is_a_clear_error():
    with pytest.raises(RuntimeError, match="more than Redis' 16 databases"):
        redis_url_for("redis://127.0.0.1:6379/15", 16)
