"""The CIDRs ip-masq-agent takes (cidr_problem in clusterstack/kube/network.py: Go's net.ParseCIDR, then
the agent's alignment check). Its refusals, with their fixes, are tested where a user meets them:
IpMasqArgs.nonMasqueradeCIDRs in tests/test_ip_masq.py."""

from __future__ import annotations

import pytest

from clusterstack.kube.network import cidr_problem


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "0.0.0.0/0", "192.168.1.7/32", "fd00::/8", "2001:db8::/32", "::/0", "10.0.0.0/08"])
def test_cidrs_the_agent_takes_pass(cidr):
    assert cidr_problem(cidr) is None
