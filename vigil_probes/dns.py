"""DNS probes on dnspython: a query for one name and record type, optionally expecting a value."""

import functools
import ipaddress

import dns.asyncresolver
import dns.exception
import dns.resolver

from .config import DnsProbe
from .result import ProbeFailure, ProbeResult, Progress, format_seconds
from .safety import ForbiddenAddress, check_address


@functools.lru_cache(maxsize=256)
def resolver_for(address: tuple[str, int] | None) -> dns.asyncresolver.Resolver:
    """A resolver without a cache (each probe asks afresh); the system's when ADDRESS is None."""
    if address is None:
        return dns.asyncresolver.Resolver()
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [address[0]]
    resolver.port = address[1]
    return resolver


async def check_dns(probe: DnsProbe, context, progress: Progress) -> ProbeResult:
    address = probe.resolver_address
    details = {"resolver": f"{address[0]}:{address[1]}" if address else "system"}
    if address:  # the system's resolver (None) is the install's own choice
        try:
            check_address(address[0], context.policy)
        except ForbiddenAddress as exc:
            raise ProbeFailure(str(exc), details=details) from None
    progress.step = "waiting for the DNS answer"
    answer = await _query(probe)
    details["answers"] = values = [rdata_text(rdata, probe.record_type) for rdata in answer]
    if probe.expected and not any(matches(value, probe.expected, probe.record_type) for value in values):
        shown = ", ".join(values)[:200]
        return progress.down(f"expected {probe.expected!r} not in the answer: {shown}", details=details)
    return progress.result(details=details)


async def _query(probe: DnsProbe) -> dns.resolver.Answer:
    try:
        resolver = resolver_for(probe.resolver_address)
        return await resolver.resolve(probe.name, probe.record_type, search=False, lifetime=probe.timeout)
    except dns.resolver.NoResolverConfiguration:
        raise ProbeFailure("no DNS resolver is configured on this machine") from None
    except dns.resolver.NXDOMAIN:
        raise ProbeFailure(f"{probe.name} does not exist (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise ProbeFailure(f"no {probe.record_type} record for {probe.name}") from None
    except dns.resolver.LifetimeTimeout:
        raise ProbeFailure(
            f"timed out after {format_seconds(probe.timeout)} while waiting for the DNS answer"
        ) from None
    except dns.resolver.NoNameservers as exc:
        errors = exc.kwargs.get("errors") or [("", False, 0, "no answer")]
        raise ProbeFailure(f"the resolver answered {errors[-1][3]}") from None
    except dns.exception.DNSException as exc:
        raise ProbeFailure(f"DNS error: {exc}") from None


def rdata_text(rdata, record_type: str) -> str:
    if record_type in ("A", "AAAA"):
        return rdata.address
    if record_type == "CNAME":
        return rdata.target.to_text(omit_final_dot=True)
    if record_type == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True)}"
    return b"".join(rdata.strings).decode("utf-8", "replace")  # TXT


def matches(value: str, expected: str, record_type: str) -> bool:
    """Compares as the record type means it: addresses by value, names without case or final dot."""
    expected = expected.strip()
    if record_type == "TXT":
        return value == expected
    if record_type in ("A", "AAAA"):
        try:
            return ipaddress.ip_address(value) == ipaddress.ip_address(expected)
        except ValueError:
            return False
    expected = expected.lower().removesuffix(".")
    value = value.lower()
    # An MX may be given as "10 mail.example.com" or as just the exchange.
    return value == expected or (record_type == "MX" and value.split(" ", 1)[1] == expected)
