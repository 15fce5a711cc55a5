"""The agent's image (agent/Dockerfile) and its docker-compose service, checked without Docker:
the service sets only variables the agent reads, the image installs ./agent and runs the
console script it declares, as a user other than root, with its outbox on a volume."""

import re
import shlex
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "agent"


def agent_service() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["agent"]


def variables_the_agent_reads() -> set[str]:
    """Every VIGIL_* name quoted in the agent's sources (config.py reads them; main.py the log level)."""
    return {
        name
        for source in (AGENT / "vigil_agent").glob("*.py")
        for name in re.findall(r'"(VIGIL_[A-Z_]+)"', source.read_text())
    }


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of agent/Dockerfile, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (AGENT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def instructions(name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == name]


def test_the_service_sets_only_what_the_agent_reads_and_all_it_requires():
    environment = agent_service()["environment"]
    read = variables_the_agent_reads()
    assert {"VIGIL_URL", "VIGIL_AGENT_TOKEN", "VIGIL_AGENT_STATE_DIR"} <= read
    assert set(environment) <= read, f"not read by the agent: {set(environment) - read}"
    assert {"VIGIL_URL", "VIGIL_AGENT_TOKEN"} <= set(environment)


def test_the_service_builds_agent_dockerfile_from_the_repository_root_and_keeps_the_outbox():
    service = agent_service()
    assert service["build"] == {"context": ".", "dockerfile": "agent/Dockerfile"}
    assert service["profiles"] == ["agent"]  # not started by a plain `docker compose up`
    state_dir = service["environment"]["VIGIL_AGENT_STATE_DIR"]
    assert any(volume.split(":")[1] == state_dir for volume in service["volumes"])
    named = service["volumes"][0].split(":")[0]
    assert named in yaml.safe_load((ROOT / "docker-compose.yml").read_text())["volumes"]


def test_the_image_installs_the_agent_with_the_engine_and_runs_it_unprivileged():
    copied = [shlex.split(arguments) for arguments in instructions("COPY")]
    assert ["agent", "./agent"] in copied and ["vigil_probes", "./vigil_probes"] in copied
    assert any("pip install ./agent" in arguments for arguments in instructions("RUN"))
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    state = [arguments for arguments in instructions("ENV") if arguments.startswith("VIGIL_AGENT_STATE_DIR=")]
    assert state == [f"VIGIL_AGENT_STATE_DIR={agent_service()['environment']['VIGIL_AGENT_STATE_DIR']}"]
    assert instructions("VOLUME") == ['["/var/lib/vigil-agent"]']
    scripts = tomllib.loads((AGENT / "pyproject.toml").read_text())["project"]["scripts"]
    assert yaml.safe_load(instructions("CMD")[-1])[0] in scripts
