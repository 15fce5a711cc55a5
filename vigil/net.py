"""The one address rule for which network addresses Vigil may reach because someone else named them.

It lives in the probe engine's package (vigil_probes.net), which has to run without Vigil in a
probe agent; vigil.http and the settings read it from here, so there is still one rule in one place.
"""

from vigil_probes.net import (
    METADATA,
    NON_PUBLIC,
    AddressPolicy,
    ForbiddenAddress,
    embedded_ipv4,
    non_public_name,
    parse_address,
    parse_networks,
    policy,
)

__all__ = [
    "METADATA",
    "NON_PUBLIC",
    "AddressPolicy",
    "ForbiddenAddress",
    "embedded_ipv4",
    "non_public_name",
    "parse_address",
    "parse_networks",
    "policy",
]
