"""`vigil-agent` (or `python -m vigil_agent`): configured by environment variables (config.py).

Exit status: 0 when stopped by SIGTERM/SIGINT, 2 when the configuration is wrong, 3 when Vigil
refuses the token (revoked or unknown): a supervisor restarting the agent would only be refused
again, so the agent says why and stops.
"""

import asyncio
import concurrent.futures
import logging
import os
import signal
import sys

from vigil_probes.runner import loop_factory

from . import __version__
from .agent import Agent
from .client import Refused, VigilClient
from .config import ConfigError, from_env

logger = logging.getLogger("vigil_agent")

EXIT_CONFIG = 2
EXIT_REFUSED = 3


async def serve(config) -> None:
    loop = asyncio.get_running_loop()
    # Host lookups run in the loop's thread pool; the default handful of threads would queue them.
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=min(64, max(4, config.concurrency))))
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = VigilClient(config.url, config.token)
    try:
        await Agent(config, client).run(stop)
    finally:
        await client.close()


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("VIGIL_AGENT_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s vigil-agent %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        config = from_env()
    except ConfigError as exc:
        print(f"vigil-agent: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logger.info("vigil-agent %s reporting to %s", __version__, config.url)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(config))
    except Refused as exc:
        print(
            f"vigil-agent: Vigil refused this agent's token ({exc}). "
            "Ask a Vigil admin for a new token and set VIGIL_AGENT_TOKEN; results taken so far are "
            f"kept in {config.buffer_path}.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return 0
