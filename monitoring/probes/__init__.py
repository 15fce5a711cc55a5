"""The probe engine: checks HTTP(S), TCP, TLS certificates and DNS, many at once.

No Django models here: the scheduling and storage layers build probe configs (validated on
construction) and hand them to run_probes / run_probes_sync, which return one ProbeResult each.
"""

from .config import DnsProbe, HttpProbe, Probe, ProbeConfigError, TcpProbe, TlsProbe
from .result import ProbeResult, State
from .runner import run_probes, run_probes_sync

__all__ = [
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
