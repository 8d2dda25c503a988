"""The CIDRs ip-masq-agent takes (cidr_problem in clusterstack/kube/network.py: Go's net.ParseCIDR, then
the agent's alignment check), and a network listed twice found by value. The refusals, with their
fixes, and the repeat warnings are tested where a user meets them: IpMasqArgs.nonMasqueradeCIDRs in
tests/test_ip_masq.py."""

from __future__ import annotations

import pytest

from clusterstack.kube.network import cidr_problem, repeated_networks


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "0.0.0.0/0", "192.168.1.7/32", "fd00::/8", "2001:db8::/32", "::/0", "10.0.0.0/08"])
def test_cidrs_the_agent_takes_pass(cidr):
    assert cidr_problem(cidr) is None


def test_a_network_listed_again_is_found_whatever_its_spelling_and_an_entry_not_yet_text_is_skipped():
    pending = object()  # what a Pulumi Output still to resolve is to this check: not text
    assert repeated_networks(["10.0.0.0/8", pending, "fd00::/8", "10.0.0.0/08", "fd00:0::/8", "10.0.0.0/8"]) == [(3, 0), (4, 2), (5, 0)]
