"""Go durations (clusterstack/kube/durations.py) read as Go's time.ParseDuration reads them: units from
ns to h, fractions, a sign, several parts, and the bare "0". Refusals, with their fixes, are tested
where a user meets them: ip-masq-agent's resyncInterval in tests/test_ip_masq.py."""

from __future__ import annotations

import pytest

from clusterstack.kube.durations import go_duration


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("60s", 60 * 10**9),
        ("1m30s", 90 * 10**9),
        ("1.5h", 5400 * 10**9),
        (".5s", 5 * 10**8),
        ("1.s", 10**9),
        ("+2ms", 2 * 10**6),
        ("3us", 3000),
        ("3µs", 3000),
        ("3μs", 3000),
        ("7ns", 7),
        ("0", 0),
        ("-1s", -(10**9)),
        ("1h1m1s1ms", 3661001 * 10**6),
    ],
)
def test_durations_are_read_as_go_reads_them(text, nanoseconds):
    assert go_duration(text) == nanoseconds
