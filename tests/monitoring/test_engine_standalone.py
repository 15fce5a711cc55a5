"""The probe engine (vigil_probes) runs without Django and without the rest of Vigil (issue #21):
a probe agent ships it as is, so Vigil's worker and the agent run the same code."""

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter that cannot import Django or any of Vigil's apps: an import of one
# anywhere in the engine fails there, instead of passing here because pytest already loaded it.
SCRIPT = """
import json, sys
for name in ("django", "vigil", "monitoring", "incidents", "rest_framework"):
    sys.modules[name] = None
from vigil_probes import HttpProbe, TcpProbe, run_probes_sync
from vigil_probes.net import policy
from vigil_probes.wire import probe_from_dict, probe_to_dict

url, port = sys.argv[1], int(sys.argv[2])
probes = [probe_from_dict(probe_to_dict(HttpProbe(url, keyword="OK"))), TcpProbe("127.0.0.1", port)]
allowed = run_probes_sync(probes, policy=policy(("127.0.0.0/8",)))
refused = run_probes_sync(probes[:1])  # no rule given: public addresses only
print(json.dumps({
    "states": [str(result.state) for result in allowed],
    "refused": refused[0].reason,
    "loaded": sorted(n for n, m in sys.modules.items() if m is not None and n.split(".")[0] in ("django", "vigil")),
}))
"""


def run_standalone(*args: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], env=env, cwd="/", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_engine_probes_a_local_server_in_a_process_where_django_cannot_be_imported(servers):
    found = run_standalone(servers.url("/ok"), str(servers.http_port))
    assert found["states"] == ["up", "up"]
    assert found["loaded"] == []


def test_without_a_rule_from_its_caller_the_engine_reaches_public_addresses_only(servers):
    found = run_standalone(servers.url("/ok"), str(servers.http_port))
    assert "loopback" in found["refused"]


def imported_top_level_names(*globs: str) -> set[str]:
    names = set()
    for pattern in globs:
        for path in ROOT.glob(pattern):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names


def test_the_agent_package_declares_every_library_the_engine_and_the_agent_import():
    pyproject = tomllib.loads((ROOT / "agent" / "pyproject.toml").read_text())
    optional = [dep for deps in pyproject["project"].get("optional-dependencies", {}).values() for dep in deps]
    dependencies = [*pyproject["project"]["dependencies"], *optional]  # Playwright: only for browser checks
    declared = {re.split(r"[<>=!;\s\[]", dependency)[0].lower() for dependency in dependencies}
    imported = imported_top_level_names("vigil_probes/*.py", "agent/vigil_agent/*.py")
    third_party = imported - set(sys.stdlib_module_names) - {"vigil_probes", "vigil_agent"}
    distributions = {"dns": "dnspython"}  # import name -> distribution name, where they differ
    assert {distributions.get(name, name) for name in third_party} <= declared
    assert pyproject["tool"]["setuptools"]["package-dir"]["vigil_probes"] == "../vigil_probes"
