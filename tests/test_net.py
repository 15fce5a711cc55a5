"""The one address rule (vigil.net): which addresses Vigil may reach because someone else named them."""

import pytest

from vigil.net import AddressPolicy, ForbiddenAddress, parse_networks, policy

PUBLIC_ONLY = AddressPolicy()

# Each private target in every form that leads to it.
DISGUISES = {
    "127.0.0.1": ["::ffff:127.0.0.1", "::7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2001:0:808:808:0:0:80ff:fffe"],
    "10.0.0.1": ["::ffff:10.0.0.1", "::a00:1", "64:ff9b::a00:1", "2002:a00:1::1", "2001:0:808:808:0:0:f5ff:fffe"],
    "169.254.169.254": [
        "::ffff:169.254.169.254",
        "::a9fe:a9fe",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
        "2001:0:808:808:0:0:5601:5601",
    ],
}


@pytest.mark.parametrize(
    ("target", "disguise"), [(target, form) for target, forms in DISGUISES.items() for form in [target, *forms]]
)
def test_an_address_in_any_form_that_leads_to_a_private_one_is_refused(target, disguise):
    reason = PUBLIC_ONLY.refusal(disguise)
    assert reason.startswith(disguise) and target in reason


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"],
)
def test_public_addresses_pass_in_every_form(address):
    assert PUBLIC_ONLY.refusal(address) == ""
    PUBLIC_ONLY.check(address)


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12::1", "a private address (IPv6 unique local)"),
        ("100.64.0.1", "a shared address (carrier-grade NAT)"),
        ("0.0.0.0", "a 'this host' address (0.0.0.0 reaches the machine itself)"),  # noqa: S104
        ("192.0.2.10", "a documentation address"),
        ("224.0.0.1", "a multicast address"),
        ("64:ff9b:1::a00:1", "a local-use NAT64 address"),
        ("169.254.169.254", "a link-local address (where clouds serve instance metadata)"),
        ("fe80::1%eth0", "an IPv6 link-local address"),
        ("fd00:ec2::254", "an AWS instance services address (IPv6 metadata at fd00:ec2::254)"),
        ("100.100.100.200", "Alibaba Cloud's instance metadata address"),
        ("168.63.129.16", "Azure's host address (WireServer)"),
    ],
)
def test_a_refusal_says_what_the_address_is(address, name):
    assert PUBLIC_ONLY.refusal(address) == f"{address} is {name}"
    with pytest.raises(ForbiddenAddress) as refused:
        PUBLIC_ONLY.check(address)
    assert refused.value.address == address


def test_the_allow_list_opens_its_networks_and_no_others():
    internal = policy(("10.0.0.0/8", "fd00::/8", "127.0.0.1"))
    for address in ("10.20.30.40", "::ffff:10.20.30.40", "64:ff9b::a14:1e28", "fd00::5", "127.0.0.1"):
        assert internal.refusal(address) == "", address
    for address in ("192.168.1.1", "127.0.0.2", "::1", "172.16.0.1"):
        assert internal.refusal(address), address
    assert internal.refusal("8.8.8.8") == ""  # public addresses stay allowed


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "fd00:ec2::254", "100.100.100.200", "fe80::1"],
)
def test_metadata_addresses_are_refused_even_when_the_allow_list_covers_them(address):
    everything = policy(("0.0.0.0/0", "::/0", "169.254.0.0/16", "fd00::/8", "fe80::/10", "100.64.0.0/10"))
    assert "metadata" in everything.refusal(address) or "link-local" in everything.refusal(address)


def test_allowing_all_of_ipv6_does_not_open_an_embedded_private_ipv4():
    ipv6 = policy(("::/0",))
    assert ipv6.refusal("64:ff9b::a00:1") == "64:ff9b::a00:1 leads to 10.0.0.1 (NAT64), a private address"
    assert ipv6.refusal("fd00::1") == ""


def test_a_name_with_one_refused_address_is_refused_whole():
    with pytest.raises(ForbiddenAddress) as refused:
        PUBLIC_ONLY.check_all(["93.184.216.34", "10.0.0.5", "93.184.216.34"])
    assert refused.value.address == "10.0.0.5"
    assert PUBLIC_ONLY.check_all(["8.8.8.8", "8.8.4.4", "8.8.8.8"]) == ["8.8.8.8", "8.8.4.4"]


def test_a_bad_network_is_named_in_the_error():
    assert parse_networks(["10.0.0.0/8", " ", "192.0.2.7"])[1].prefixlen == 32
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not a network"):
        parse_networks(["10.0.0.0/33"])


def test_a_bad_setting_stops_vigil_at_start_up(tmp_path):
    import subprocess
    import sys

    env = {"DEBUG": "1", "VIGIL_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for name, value, expected in [
        ("VIGIL_OUTBOUND_ALLOWED_NETWORKS", "10.0.0.0/8,intranet", "'intranet' is not a network"),
        ("VIGIL_PROBE_FORBID_PRIVATE", "0", "VIGIL_PROBE_FORBID_PRIVATE is no longer read"),
        ("VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE", "1", "VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE is no longer read"),
    ]:
        done = subprocess.run(
            [sys.executable, "-c", "import vigil.settings"], env={**env, name: value}, capture_output=True, text=True
        )
        assert done.returncode != 0 and expected in done.stderr, (name, done.stderr[-500:])
