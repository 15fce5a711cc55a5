"""The agent's outbox (agent/vigil_agent/outbox.py): results wait in a file, oldest first, until
Vigil takes them; a crash mid-write costs at most the line being written."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "agent"))

from vigil_agent import outbox as outbox_module
from vigil_agent.outbox import Outbox


def test_results_come_out_in_the_order_they_went_in_and_leave_only_when_dropped(tmp_path):
    box = Outbox(tmp_path / "state" / "results.jsonl")
    box.append([{"n": 1}, {"n": 2}])
    box.append([{"n": 3}])
    assert [r["n"] for r in box.pending()] == [1, 2, 3]
    box.drop(2)
    assert [r["n"] for r in box.pending()] == [3]
    assert Outbox(box.path).pending() == [{"n": 3}]  # a restarted agent finds them


def test_a_line_cut_short_by_a_crash_is_skipped_not_fatal(tmp_path):
    box = Outbox(tmp_path / "results.jsonl")
    box.append([{"n": 1}])
    with box.path.open("a") as file:
        file.write('{"n": 2, "sta')
    assert box.pending() == [{"n": 1}]


def test_a_full_buffer_drops_the_oldest_results(tmp_path, monkeypatch):
    monkeypatch.setattr(outbox_module, "MAX_LINES", 3)
    box = Outbox(tmp_path / "results.jsonl")
    box.append([{"n": n} for n in range(5)])
    assert [r["n"] for r in box.pending()] == [2, 3, 4]
    assert box.path.read_text().count("\n") == 3
