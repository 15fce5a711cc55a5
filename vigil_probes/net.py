"""The one rule for which network addresses Vigil may reach because someone else named them.

Two things reach addresses that a person or a partner chose: the probe engine (monitors) and the
outgoing HTTP client (vigil.http: webhooks, Slack, Mastodon, feeds, status page subscribers). Both
ask an AddressPolicy, built from an install's allow-list of networks, about every address a name
resolves to, and connect only to addresses it let through. The rule:

1. An address that carries an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d,
   NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) is judged as the IPv4 address it leads
   to, so ::ffff:127.0.0.1 and 64:ff9b::7f00:1 are loopback.
2. Link-local and cloud metadata addresses (METADATA, below) are always refused: no allow-list can
   open them, because they hand out the machine's cloud credentials.
3. An address inside one of the allow-list's networks may be reached.
4. Anything else may be reached only if it is public: not loopback, private, shared (CGN),
   documentation, benchmarking, multicast, reserved... (NON_PUBLIC, then Python's reading of the
   IANA special-purpose registries, `is_global`, for anything newer).

Pure functions on strings and the ipaddress module, with no Django import, so the probe engine
can run without Django.
"""

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _table(entries: dict[str, str]) -> tuple[tuple[Network, str], ...]:
    return tuple((ipaddress.ip_network(network), name) for network, name in entries.items())


# Always refused (rule 2). Each is named, so a refusal says what the address is.
METADATA = _table(
    {
        # 169.254.169.254 on AWS, GCP, Azure, OpenStack, DigitalOcean and Oracle; 169.254.170.2 on ECS.
        "169.254.0.0/16": "a link-local address (where clouds serve instance metadata)",
        "fe80::/10": "an IPv6 link-local address",
        "fd00:ec2::/32": "an AWS instance services address (IPv6 metadata at fd00:ec2::254)",
        "100.100.100.200/32": "Alibaba Cloud's instance metadata address",
        "168.63.129.16/32": "Azure's host address (WireServer)",
        "192.0.0.192/32": "Oracle Cloud Classic's instance metadata address",
    }
)

# Refused unless allow-listed (rule 4), with the name a refusal gives.
NON_PUBLIC = _table(
    {
        "127.0.0.0/8": "a loopback address",
        "::1/128": "a loopback address",
        "0.0.0.0/8": "a 'this host' address (0.0.0.0 reaches the machine itself)",
        "::/128": "the unspecified address",
        "10.0.0.0/8": "a private address",
        "172.16.0.0/12": "a private address",
        "192.168.0.0/16": "a private address",
        "fc00::/7": "a private address (IPv6 unique local)",
        "100.64.0.0/10": "a shared address (carrier-grade NAT)",
        "192.0.0.0/24": "an IETF protocol address",
        "192.0.2.0/24": "a documentation address",
        "198.51.100.0/24": "a documentation address",
        "203.0.113.0/24": "a documentation address",
        "2001:db8::/32": "a documentation address",
        "3fff::/20": "a documentation address",
        "198.18.0.0/15": "a benchmarking address",
        "192.88.99.0/24": "a 6to4 relay address",
        "64:ff9b:1::/48": "a local-use NAT64 address",
        "5f00::/16": "an IPv6 segment routing address",
        "224.0.0.0/4": "a multicast address",
        "ff00::/8": "a multicast address",
        "240.0.0.0/4": "a reserved address",
    }
)

_MAPPED_OR_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class ForbiddenAddress(ValueError):
    """An address the policy refuses. `reason` says what it is, in words ("127.0.0.1 is a loopback address")."""

    def __init__(self, address: str, reason: str):
        super().__init__(reason)
        self.address = address
        self.reason = reason


def parse_address(address: str) -> IPAddress:
    """ADDRESS as getaddrinfo gives it (an IPv6 zone, "%eth0", is dropped); ValueError if it is none."""
    return ipaddress.ip_address(str(address).split("%", 1)[0])


def embedded_ipv4(ip: IPAddress) -> tuple[str, tuple[ipaddress.IPv4Address, ...]]:
    """The form and the IPv4 addresses that IP leads to (rule 1), or ("", ()) when it carries none.

    A local-use NAT64 address (64:ff9b:1::/48, RFC 8215) also carries one, where depends on the
    operator's prefix length: both usual places are returned, for the metadata check only.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return "", ()
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", (ip.ipv4_mapped,)
    if ip in _MAPPED_OR_COMPATIBLE and int(ip) > 1:
        return "IPv4-compatible", (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip in _NAT64:
        return "NAT64", (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip.sixtofour is not None:
        return "6to4", (ip.sixtofour,)
    if ip.teredo is not None:
        return "Teredo", ip.teredo
    if ip in _NAT64_LOCAL:
        packed = ip.packed
        return "local-use NAT64", (
            ipaddress.IPv4Address(packed[12:16]),
            ipaddress.IPv4Address(packed[6:8] + packed[9:11]),
        )
    return "", ()


def _name_in(ip: IPAddress, table) -> str:
    for network, name in table:
        if ip.version == network.version and ip in network:
            return name
    return ""


def non_public_name(ip: IPAddress) -> str:
    """What IP is when it is not a public address ("a private address"); "" for a public one."""
    name = _name_in(ip, NON_PUBLIC)
    if name:
        return name
    if not ip.is_global or ip.is_multicast:
        return "a reserved address"
    return ""


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be reached: public ones, and those in ALLOWED; never METADATA.

    AddressPolicy() allows public addresses only. Build one from settings with policy().
    """

    allowed: tuple[Network, ...] = ()

    def refusal(self, address: str) -> str:
        """Why ADDRESS may not be reached, in words; "" when it may. ValueError if it is not an address."""
        ip = parse_address(address)
        form, inner = embedded_ipv4(ip)
        for candidate in (ip, *inner):
            name = _name_in(candidate, METADATA)
            if name:
                return self._because(address, ip, candidate, form, name)
        if inner and form != "local-use NAT64":
            # Judged as where it leads: allowing ::/0 does not open 64:ff9b::a00:1 (10.0.0.1).
            for candidate in inner:
                name = "" if self._allows(candidate) else non_public_name(candidate)
                if name:
                    return self._because(address, ip, candidate, form, name)
            return ""
        if self._allows(ip):
            return ""
        name = non_public_name(ip)
        return self._because(address, ip, ip, form, name) if name else ""

    def check(self, address: str) -> None:
        """Raise ForbiddenAddress unless ADDRESS may be reached."""
        reason = self.refusal(address)
        if reason:
            raise ForbiddenAddress(address, reason)

    def check_all(self, addresses: Iterable[str]) -> list[str]:
        """ADDRESSES, once each, in order, if every one may be reached; else ForbiddenAddress for the
        first that may not. A name with one refused address is refused whole: mixing a public address
        with a private one is how a rebinding trick looks."""
        addresses = list(dict.fromkeys(addresses))
        for address in addresses:
            self.check(address)
        return addresses

    def _allows(self, ip: IPAddress) -> bool:
        return any(ip.version == network.version and ip in network for network in self.allowed)

    @staticmethod
    def _because(address: str, ip: IPAddress, candidate: IPAddress, form: str, name: str) -> str:
        if candidate == ip:
            return f"{address} is {name}"
        return f"{address} leads to {candidate} ({form}), {name}"


def parse_networks(networks: Iterable[str]) -> tuple[Network, ...]:
    """Networks from strings: "10.0.0.0/8", "fd00::/8", "192.0.2.7" (one address). ValueError names a bad one."""
    parsed = []
    for text in networks:
        text = str(text).strip()
        if not text:
            continue
        try:
            parsed.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not a network (write it as 10.0.0.0/8, fd00::/8 or one address)") from None
    return tuple(parsed)


@functools.lru_cache(maxsize=16)
def policy(networks: tuple[str, ...] = ()) -> AddressPolicy:
    """The policy allowing NETWORKS (strings, as settings hold them) besides public addresses. Cached."""
    return AddressPolicy(parse_networks(networks))
