"""The probe engine: checks HTTP(S), TCP, TLS certificates, DNS and scripted browser steps, many at once.

A plain library beside the apps, free of Django and of Vigil's other packages, so that Vigil's
probe worker and the probe agent (agent/, vigil_agent) run the same code: the agent's package
ships this directory as is (agent/pyproject.toml). It may import only the standard library, its own
modules and the libraries listed in agent/pyproject.toml (tests/monitoring/test_engine_standalone.py).

The scheduling and storage layers build probe configs (validated on construction) and hand them
to run_probes / run_probes_sync, which return one ProbeResult each. The address rule comes from
the caller or from safety.use_default_policy.
"""

from .config import DnsProbe, HttpProbe, Probe, ProbeConfigError, TcpProbe, TlsProbe
from .result import ProbeResult, State
from .runner import run_probes, run_probes_sync
from .steps import BrowserProbe

__all__ = [
    "BrowserProbe",
    "DnsProbe",
    "HttpProbe",
    "Probe",
    "ProbeConfigError",
    "ProbeResult",
    "State",
    "TcpProbe",
    "TlsProbe",
    "run_probes",
    "run_probes_sync",
]
