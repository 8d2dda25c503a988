"""The capacity check: node pools, their Node Allocatable, and the tenants' quotas against it.

What it verifies: each node's allocatable is capacity - kubeReserved - systemReserved - the hard
eviction threshold, by the kubelet's rules (its defaults, percentages as it computes them, the
signals that reserve nothing); bad node pools are errors naming the stack file and the key path;
``clusterstack capacity`` sets the tightest unscoped quota of each tenant against the pools' total
and prints a table or a stable JSON document (each resource's overcommit a number, or null when the
cluster offers none of it), listing tenants no quota bounds; and a LimitRange minimum, maximum or
default request no node can hold is an error in ``validate`` and ``capacity`` alike.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import get_type_hints

import pytest
import yaml

from clusterstack.analysis.capacity import capacity_report
from clusterstack.components.capacity import NodePool, NodePoolArgsDict, Threshold, largest_node
from clusterstack.kube.quantity import Quantity
from tests.helpers import STACK_FILE, load, problems
from tests.test_corpus import ERRORS
from tests.test_engine import cs

Gi, Mi = 2**30, 2**20


def _pool(**overrides) -> dict:
    """A minimal valid node pool as a stack file writes it; keyword arguments replace its keys."""
    pool: dict = {"name": "general", "count": 3, "cpu": 4, "memory": "16Gi"}
    pool.update(overrides)
    return pool


def _allocatable(**overrides) -> dict[str, Fraction]:
    return {resource: q.value for resource, q in NodePool.model_validate(_pool(**overrides)).allocatable().items()}


# --- Node Allocatable -----------------------------------------------------------------------------


def test_the_pages_worked_example():
    """ "Reserve Compute Resources for System Daemons", Example Scenario. The page writes evictionHard
    as {memory.available: "<500Mi", nodefs.available: "<10%"}, the --eviction-hard flag's spelling
    inside a KubeletConfiguration map, which the kubelet would refuse; the values are 500Mi and 10%.

    cpu: 16 - 1 - 0.5 = 14.5, as the page says. memory: the page says 28.5Gi, rounding; 500Mi is not
    0.5Gi, so it is 32Gi - 2Gi - 1Gi - 500Mi = 29196Mi. ephemeral-storage: the page says 88Gi; the
    kubelet holds 10% as a float32 (0.100000001…), which of 100Gi is 10Gi and 160 bytes, so 88Gi
    less 160 bytes. The kubelet's rule wins."""
    allocatable = _allocatable(
        cpu=16,
        memory="32Gi",
        ephemeralStorage="100Gi",
        kubeReserved={"cpu": "1000m", "memory": "2Gi", "ephemeral-storage": "1Gi"},
        systemReserved={"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "1Gi"},
        evictionHard={"memory.available": "500Mi", "nodefs.available": "10%"},
    )
    assert allocatable == {"cpu": Fraction(29, 2), "memory": 29196 * Mi, "ephemeral-storage": 88 * Gi - 160, "pods": 110}
    assert abs(allocatable["memory"] - Fraction(57, 2) * Gi) < 13 * Mi  # the page's 28.5Gi, rounded
    assert Threshold.parse("10%").amount(Fraction(100 * Gi)) == 10 * Gi + 160


def test_the_kubelets_defaults_apply_when_eviction_hard_is_unset():
    """memory.available 100Mi and nodefs.available 10%; maxPods 110."""
    assert _allocatable(ephemeralStorage="100Gi") == {"cpu": 4, "memory": 16 * Gi - 100 * Mi, "ephemeral-storage": 90 * Gi - 160, "pods": 110}


def test_a_set_eviction_hard_turns_off_the_signals_it_leaves_out_unless_merged():
    only_memory = {"memory.available": "1Gi"}
    assert _allocatable(ephemeralStorage="100Gi", evictionHard=only_memory)["ephemeral-storage"] == 100 * Gi
    merged = _allocatable(ephemeralStorage="100Gi", evictionHard=only_memory, mergeDefaultEvictionSettings=True)
    assert (merged["memory"], merged["ephemeral-storage"]) == (Fraction(15 * Gi), Fraction(90 * Gi - 160))
    assert _allocatable(evictionHard={})["memory"] == 16 * Gi


@pytest.mark.parametrize(("value", "reserved"), [("0%", 0), ("100%", 0), ("25%", 4 * Gi), ("1Gi", Gi), (512 * Mi, 512 * Mi)])
def test_thresholds_as_the_kubelet_reads_them(value, reserved):
    """0% and 100% turn the signal off (the kubelet ignores exactly those); the rest take from memory."""
    assert _allocatable(evictionHard={"memory.available": value})["memory"] == 16 * Gi - reserved


def test_only_memory_and_nodefs_thresholds_reserve_anything():
    thresholds = {"imagefs.available": "50%", "nodefs.inodesFree": "50%", "pid.available": "10%"}
    assert _allocatable(ephemeralStorage="100Gi", evictionHard=thresholds) == {"cpu": 4, "memory": 16 * Gi, "ephemeral-storage": 100 * Gi, "pods": 110}


def test_pods_and_pid_reserve_nothing_from_allocatable():
    allocatable = _allocatable(pods=58, kubeReserved={"pid": 1000}, systemReserved={"pid": "1000"})
    assert allocatable["pods"] == 58


def test_each_args_dict_lists_exactly_the_keys_a_stack_file_may_write():
    assert set(get_type_hints(NodePoolArgsDict)) == {field.alias or name for name, field in NodePool.model_fields.items()}


def test_a_program_builds_a_pool_with_keyword_arguments():
    pool = NodePool(name="big", count=2, cpu=8, memory="32Gi", kube_reserved={"memory": "1Gi"}, eviction_hard={"memory.available": "5%"})
    # 5% of 32Gi is 1717986918.4 bytes; the kubelet's float32 5% (0.0500000007…) makes it 1717986944.
    assert pool.allocatable()["memory"] == Quantity.parse(32 * Gi - Gi - 1717986944)


# --- Bad node pools -------------------------------------------------------------------------------

AT = f"{STACK_FILE}: clusterstack:cluster.nodePools"


@pytest.mark.parametrize(
    ("pools", "expected"),
    [
        ([_pool(count=-1)], f"{AT}[0].count: must be at least 0, not -1"),
        ([_pool(name="General")], f"{AT}[0].name: 'General' is not a valid name"),
        ([_pool(), _pool(cpu=8)], f"{AT}[1].name: general is already the name of nodePools[0]; give each pool its own name"),
        ([{"name": "general", "count": 1, "memory": "1Gi"}], f"{AT}[0].cpu: is required"),
        ([_pool(memory="lots")], f"{AT}[0].memory: 'lots' is not a Kubernetes quantity"),
        ([_pool(maxPods=50)], f"{AT}[0].maxPods: unknown key"),
        ([_pool(cpu=0)], f"{AT}[0].cpu: must be more than 0"),
        (
            [_pool(kubeReserved={"memory": "15Gi"}, systemReserved={"memory": "1Gi"})],
            (
                f"{AT}[0].kubeReserved.memory: kubeReserved.memory 15Gi + systemReserved.memory 1Gi + the kubelet's default "
                "evictionHard.memory.available 100Mi = 16484Mi is more than the node's memory (memory: 16Gi): the kubelet refuses to start"
            ),
        ),
        ([_pool(systemReserved={"cpu": "5"})], f"{AT}[0].systemReserved.cpu: systemReserved.cpu 5 is more than the node's cpu (cpu: 4)"),
        (
            [_pool(ephemeralStorage="10Gi", evictionHard={"nodefs.available": "11Gi"})],
            f"{AT}[0].evictionHard.nodefs.available: evictionHard.nodefs.available 11Gi is more",
        ),
        ([_pool(systemReserved={"gpu": "1"})], f"{AT}[0].systemReserved.gpu: the kubelet cannot reserve 'gpu' (valid: cpu, memory, ephemeral-storage, pid)"),
        ([_pool(kubeReserved={"pid": "1.5"})], f"{AT}[0].kubeReserved.pid: 1.5 is not a whole number of process IDs"),
        ([_pool(kubeReserved={"memory": "-1Gi"})], f"{AT}[0].kubeReserved.memory: -1Gi is negative"),
        ([_pool(evictionHard={"memory.available": "<500Mi"})], f"""{AT}[0].evictionHard.memory.available: '<500Mi': write '500Mi' without "<\""""),
        ([_pool(evictionHard={"nodefs.availble": "10%"})], f"{AT}[0].evictionHard.nodefs.availble: is not an eviction signal; did you mean nodefs.available?"),
        ([_pool(evictionHard={"memory.available": "150%"})], f"{AT}[0].evictionHard.memory.available: 150% is above 100%"),
        ([_pool(evictionHard={"memory.available": "0"})], f"{AT}[0].evictionHard.memory.available: 0 is not positive"),
        ({"general": _pool()}, f"{AT}: must be a list, not a map"),
    ],
)
def test_a_bad_node_pool_names_the_file_and_key(pools, expected):
    found = problems(cluster={"nodePools": pools})
    assert any(p.startswith(expected) for p in found), found


def test_a_bad_node_pool_stops_every_command_and_writes_nothing(make_project):
    root = make_project({"dev": {"config": {"clusterstack:cluster": {"nodePools": [_pool(kubeReserved={"cpu": "8"})]}}}})
    before = sorted(p for p in root.rglob("*"))
    for command in (("validate", "-s", "dev"), ("render", "-s", "dev"), ("up", "-s", "dev", "--yes"), ("capacity", "-s", "dev")):
        result = cs(root, *command)
        assert result.exit_code == 1, (command, result.output)
        assert (
            "error: stacks/Pulumi.dev.yaml: clusterstack:cluster.nodePools[0].kubeReserved.cpu: kubeReserved.cpu 8 is more than the node's cpu" in result.output
        )
    assert sorted(p for p in root.rglob("*")) == before


@pytest.mark.parametrize(("content", "fragment", "key"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_capacity_refuses_every_bad_stack_as_the_other_commands_do(make_project, content, fragment, key):
    root = make_project({"dev": "config: {}\n"})
    (root / "stacks" / "Pulumi.dev.yaml").write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cs(root, "capacity", "-s", "dev")
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1
    assert any(fragment in line for line in errors), result.output[:2000]
    assert any(line.startswith("error: stacks/Pulumi.dev.yaml: " + (f"{key}: " if key else "")) for line in errors), result.output[:2000]


# --- Quotas against the pools ---------------------------------------------------------------------

POOLS = [
    _pool(name="general", count=4, cpu=4, memory="16Gi", kubeReserved={"cpu": "100m", "memory": "412Mi"}, systemReserved={"cpu": "100m", "memory": "512Mi"}),
    _pool(name="highmem", count=2, cpu=8, memory="64Gi", evictionHard={"memory.available": "1Gi"}),
]
"""general: 3.8 cpu and 15Gi a node, 15.2 and 60Gi together; highmem: 8 and 63Gi, 16 and 126Gi.
The cluster: 31.2 cpu, 186Gi, 660 pods."""
TENANTS = {
    "payments": {
        "quota": {"requests.cpu": "8", "requests.memory": "32Gi", "limits.cpu": "16", "limits.memory": "64Gi", "pods": "50"},
        "quotas": [
            {"name": "tighter", "hard": {"cpu": "6"}},  # cpu is requests.cpu: the tighter bound wins
            {"name": "high", "hard": {"requests.cpu": "1"}, "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "Exists"}]}},
        ],
    },
    "analytics": {"quota": {"requests.memory": "124Gi", "limits.memory": "256Gi", "pods": "20"}},
    "sandbox": {"labels": {"team": "sandbox"}},
}


def test_overcommit_per_resource_with_the_tightest_unscoped_quota_of_each_tenant():
    report = capacity_report(load(TENANTS, cluster={"nodePools": POOLS}).args)
    assert {r: q.value for r, q in report.allocatable.items()} == {"cpu": Fraction(156, 5), "memory": 186 * Gi, "pods": 660}
    loads = {load.resource: load for load in report.loads}
    assert [load.resource for load in report.loads] == ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods"]
    assert loads["requests.cpu"].bounds == {"analytics": None, "payments": Quantity.parse("6"), "sandbox": None}  # the scoped quota bounds nothing
    assert {r: load.overcommit for r, load in loads.items()} == {
        "requests.cpu": Fraction(6) / Fraction(156, 5),
        "requests.memory": Fraction(156, 186),
        "limits.cpu": Fraction(16) / Fraction(156, 5),
        "limits.memory": Fraction(320, 186),
        "pods": Fraction(70, 660),
    }
    assert loads["limits.memory"].unbounded == ["sandbox"]
    assert loads["limits.cpu"].unbounded == ["analytics", "sandbox"]
    assert report.without_compute_quota == ["sandbox"]


def test_ephemeral_storage_is_planned_only_when_every_pool_states_its_disk():
    some = capacity_report(load(TENANTS, cluster={"nodePools": [*POOLS[:1], _pool(name="disk", ephemeralStorage="100Gi")]}).args)
    assert "ephemeral-storage" not in some.allocatable
    every = capacity_report(load({"t": {"quota": {"ephemeral-storage": "45Gi"}}}, cluster={"nodePools": [_pool(ephemeralStorage="100Gi", count=1)]}).args)
    loads = {load.resource: load for load in every.loads}
    assert loads["requests.ephemeral-storage"].overcommit == Fraction(45 * Gi, 90 * Gi - 160)
    assert loads["limits.ephemeral-storage"].unbounded == ["t"]


def _project(make_project, namespaces: dict, pools: list | None = POOLS):
    cluster = {"nodePools": pools} if pools is not None else {}
    return make_project({"dev": {"config": {"clusterstack:cluster": cluster, "clusterstack:namespaces": namespaces}}})


def test_capacity_json_parses_and_gives_each_resources_overcommit(make_project):
    root = _project(make_project, TENANTS)
    result = cs(root, "capacity", "-s", "dev", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["stack"] == "dev"
    assert {r: q["overcommit"] for r, q in document["quotas"].items()} == {
        "requests.cpu": 0.1923,
        "requests.memory": 0.8387,
        "limits.cpu": 0.5128,
        "limits.memory": 1.7204,
        "pods": 0.1061,
    }
    assert document["quotas"]["limits.memory"] == {
        "sum": "320Gi",
        "available": "186Gi",
        "overcommit": 1.7204,
        "unbounded": ["sandbox"],
        "tenants": {"analytics": "256Gi", "payments": "64Gi", "sandbox": None},
    }
    assert document["allocatable"] == {"cpu": "31200m", "memory": "186Gi", "pods": "660"}
    assert document["nodePools"][0] == {
        "name": "general",
        "count": 4,
        "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
        "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"},
        "total": {"cpu": "15200m", "memory": "60Gi", "pods": "440"},
    }
    assert document["withoutComputeQuota"] == ["sandbox"]
    assert document["daemonSets"] == {"names": [], "perNode": {"cpu": "0", "memory": "0", "pods": "0"}}
    assert document["available"] == document["allocatable"]  # no DaemonSets of the stack's own
    assert cs(root, "capacity", "-s", "dev", "--json").stdout == result.stdout


def test_an_overcommit_is_null_when_the_cluster_offers_none(make_project):
    result = cs(_project(make_project, TENANTS, [_pool(count=0)]), "capacity", "-s", "dev", "--json")
    assert result.exit_code == 0, result.output
    assert {q["overcommit"] for q in json.loads(result.stdout)["quotas"].values()} == {None}


def test_capacity_prints_a_table(make_project):
    result = cs(_project(make_project, TENANTS), "capacity", "-s", "dev")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "dev: 2 node pools, 6 nodes (allocatable = capacity - kubeReserved - systemReserved - hard eviction threshold)"
    assert lines[2:6] == [
        "   pool  nodes  cpu/node  memory/node  pods/node   cpu  memory  pods",
        "general      4       3.8         15Gi        110  15.2    60Gi   440",
        "highmem      2         8         63Gi        110    16   126Gi   220",
        "  total      6                                    31.2   186Gi   660",
    ]
    assert lines[7:13] == [
        "       resource  quotas  available  overcommit           unbounded",
        "   requests.cpu       6       31.2        0.19  analytics, sandbox",
        "requests.memory   156Gi      186Gi        0.84             sandbox",
        "     limits.cpu      16       31.2        0.51  analytics, sandbox",
        "  limits.memory   320Gi      186Gi        1.72             sandbox",
        "           pods      70        660        0.11             sandbox",
    ]
    assert lines[-1] == "Without a compute quota (may use everything): sandbox"


def test_a_stack_without_node_pools_is_a_clear_error(make_project):
    result = cs(_project(make_project, TENANTS, pools=None), "capacity", "-s", "dev", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    [error] = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: stacks/Pulumi.dev.yaml: clusterstack:cluster.nodePools: is not set or empty, so there is no cluster to set the quotas against")
    assert "Traceback" not in result.output


# --- What no node can hold ------------------------------------------------------------------------

TOO_BIG = {"analytics": {"limits": {"container": {"max": {"memory": "64Gi"}}, "pod": {"min": {"cpu": "9"}}}}}


def test_validate_refuses_a_limit_range_no_node_can_hold(make_project):
    root = _project(make_project, TOO_BIG)
    for command in ("validate", "capacity"):
        result = cs(root, command, "-s", "dev")
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert errors == [
            (
                "error: stacks/Pulumi.dev.yaml: clusterstack:namespaces.analytics.limits.container.max.memory: 64Gi is above the largest "
                "node's allocatable memory (63Gi, cluster.nodePools[1] highmem); a container may ask up to it and be admitted, but no node "
                "could ever run it (it would stay Pending); lower the maximum to at most 63Gi or add a larger node pool"
            ),
            (
                "error: stacks/Pulumi.dev.yaml: clusterstack:namespaces.analytics.limits.pod.min.cpu: 9 is above the largest node's "
                "allocatable cpu (8, cluster.nodePools[1] highmem); every pod asks at least its minimum, so no pod in the namespace could "
                "ever be scheduled; lower the minimum or add a larger node pool"
            ),
        ]


def test_the_same_limits_are_fine_without_node_pools_or_with_a_larger_one():
    assert problems(TOO_BIG) == []
    assert problems(TOO_BIG, cluster={"nodePools": [*POOLS, _pool(name="huge", count=0, cpu=16, memory="128Gi")]}) == []


@pytest.mark.parametrize(
    ("limits", "key"),
    [
        ({"container": {"min": {"memory": "64Gi"}}}, "container.min.memory"),
        ({"container": {"defaultRequest": {"cpu": "8500m"}}}, "container.defaultRequest.cpu"),
        ({"pod": {"max": {"cpu": "12"}}}, "pod.max.cpu"),
    ],
)
def test_each_unschedulable_value_is_named(limits, key):
    found = problems({"team": {"limits": limits}}, cluster={"nodePools": POOLS})
    assert [p.split(": ")[1] for p in found] == [f"clusterstack:namespaces.team.limits.{key}"]


def test_disk_is_checked_only_when_every_pool_states_it():
    limits = {"team": {"limits": {"container": {"max": {"ephemeral-storage": "500Gi"}}}}}
    assert problems(limits, cluster={"nodePools": [_pool(ephemeralStorage="100Gi"), _pool(name="other")]}) == []
    [found] = problems(limits, cluster={"nodePools": [_pool(ephemeralStorage="100Gi")]})
    assert "limits.container.max.ephemeral-storage: 500Gi is above the largest node's allocatable ephemeral-storage" in found


def test_the_largest_node_is_taken_per_resource():
    pools = [NodePool.model_validate(p) for p in (_pool(name="cpu", cpu=32, memory="8Gi"), _pool(name="mem", cpu=2, memory="256Gi"))]
    largest = largest_node(pools)
    assert (largest["cpu"].pool, largest["memory"].pool) == ("cpu", "mem")


def test_the_stacks_own_daemon_sets_come_out_of_what_the_tenants_can_have(make_project):
    """node-local-dns (25m, 5Mi, upstream's requests) and ip-masq-agent (10m, 16Mi) run a pod on every
    node before any tenant's: 6 nodes take 210m, 126Mi and 12 pods out of the tenants' share."""
    root = _project(make_project, TENANTS)
    stack_file = root / "stacks" / "Pulumi.dev.yaml"
    config = yaml.safe_load(stack_file.read_text())
    config["config"]["clusterstack:dns"] = {"nodeLocal": {}}
    config["config"]["clusterstack:ipMasq"] = {}
    stack_file.write_text(yaml.safe_dump(config))
    result = cs(root, "capacity", "-s", "dev", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["daemonSets"] == {"names": ["ip-masq-agent", "node-local-dns"], "perNode": {"cpu": "35m", "memory": "21Mi", "pods": "2"}}
    assert document["allocatable"] == {"cpu": "31200m", "memory": "186Gi", "pods": "660"}
    assert document["available"] == {"cpu": "30990m", "memory": "190338Mi", "pods": "648"}
    assert document["quotas"]["pods"]["available"] == "648"
    table = cs(root, "capacity", "-s", "dev").stdout
    assert "available: allocatable less the stack's DaemonSets (ip-masq-agent, node-local-dns) on every node: cpu 0.035, memory 21Mi, pods 2 per node." in table
