"""Results on their way to Vigil, kept in a JSON-lines file so none is lost while Vigil is down
or the agent restarts.

Every result goes through the file (appended and fsynced), and is sent from it oldest first, so
results reach Vigil in the order they were taken, with the times they were taken, however long
the outage. Lines are removed only after Vigil accepted them; a batch sent again after a lost
answer is harmless, as Vigil skips results it already has (monitoring.agent_results).
"""

import json
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MAX_LINES = 200_000  # about a day of 500 monitors at 30 s, some 40 MB; beyond, the oldest go


class Outbox:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, results: list[dict[str, Any]]) -> None:
        if not results:
            return
        with self.path.open("a", encoding="utf-8") as file:
            file.writelines(json.dumps(result, separators=(",", ":")) + "\n" for result in results)
            file.flush()
            os.fsync(file.fileno())

    def pending(self) -> list[dict[str, Any]]:
        """Every result not yet accepted, oldest first. A line cut short by a crash is skipped."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        results = []
        for line in lines:
            try:
                results.append(json.loads(line))
            except ValueError:
                logger.warning("skipping a damaged line in %s", self.path)
        if len(results) > MAX_LINES:
            logger.warning("buffer full: dropping the %d oldest results", len(results) - MAX_LINES)
            results = results[-MAX_LINES:]
            self._rewrite(results)
        return results

    def drop(self, count: int) -> None:
        """Remove the COUNT oldest results (they were accepted)."""
        self._rewrite(self.pending()[count:])

    def _rewrite(self, results: list[dict[str, Any]]) -> None:
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as file:
            file.writelines(json.dumps(result, separators=(",", ":")) + "\n" for result in results)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)  # atomic: a crash leaves the old file or the new one
