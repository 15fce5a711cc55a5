"""vigil-agent: pulls its monitors from Vigil, probes them with Vigil's engine (vigil_probes) and
pushes the results back, buffering them on disk while Vigil cannot be reached."""

__version__ = "0.1.0"
