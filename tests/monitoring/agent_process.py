"""Helpers to run a real vigil-agent process in tests (tests/monitoring/test_agents_process.py).

The agent runs from what its distribution would install: agent/pyproject.toml's packages built
into a directory of their own (setuptools' build_py, reading the same package-dir mapping pip
uses), on PYTHONPATH alone, from a working directory outside the repository. So the test fails if
the distribution leaves out the engine or the agent reaches for anything of Vigil's.
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_agent(into: Path) -> Path:
    """Build the agent distribution's packages under INTO (from a copy: builds litter the source)."""
    source = into / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for directory in ("agent", "vigil_probes"):
        shutil.copytree(ROOT / directory, source / directory, ignore=skip)
    lib = into / "lib"
    subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "--build-lib", str(lib)],
        cwd=source / "agent",
        check=True,
        capture_output=True,
    )
    return lib


def start_agent(lib: Path, workdir: Path, url: str, token: str, **extra: str) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(lib),
        "VIGIL_URL": url,
        "VIGIL_AGENT_TOKEN": token,
        "VIGIL_AGENT_STATE_DIR": str(workdir / "state"),
        "VIGIL_AGENT_ALLOWED_NETWORKS": "127.0.0.0/8",
        "VIGIL_AGENT_PUSH_SECONDS": "0.3",
        "VIGIL_AGENT_POLL_SECONDS": "0.5",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "vigil_agent"], env=env, cwd=workdir, stderr=subprocess.PIPE, text=True
    )


def stop(process: subprocess.Popen) -> str:
    """Stop PROCESS if it still runs; returns what it wrote on stderr."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    if process.poll() is None:
        process.kill()
    return process.stderr.read()


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Forwarder:
    """A TCP forwarder on loopback standing in front of Vigil, to take Vigil down and up again:
    while closed its port refuses connections and the open ones are cut, as when Vigil is down."""

    def __init__(self, port: int, target_port: int):
        self.port, self.target_port = port, target_port
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = None
        self.writers: set = set()

    def open(self) -> None:
        coroutine = asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.server = asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(5)

    def close(self) -> None:
        async def shut():
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(5)

    def stop(self) -> None:
        if self.server is not None and self.server.is_serving():
            self.close()
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _handle(self, reader, writer):
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers.update((writer, upstream_writer))
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        self.writers.difference_update((writer, upstream_writer))

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
