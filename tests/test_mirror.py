"""Tests mirror the code: a reader finds a source module's tests by its name (the convention is in
tests/__init__.py).

What this verifies:

- every source module (``clusterstack/**`` and ``components/*``, installed as clusterstack.components)
  has its mirrored test module, ``tests/test_<module>.py``, or ``tests/test_<package>_<module>.py``
  where two source modules share a name (then only the qualified name counts); a package's
  ``__init__.py`` is the module named after its package;
- or it is listed below with a one-line reason: it has no behaviour of its own (``NO_BEHAVIOUR``), a
  named suite verifies it (``COVERED_BY``);
- every test module is a mirror of a source module or a cross-cutting suite listed in ``SUITES``;
- every file a listing names exists, and no module is listed that no longer exists or is listed twice;
- every test module opens with a docstring (the contract it verifies).

So a new source module without a test module or a listing fails here, and so does a new test module
named after no source module and not listed as a suite.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from tests import sources

REPO = sources.REPO
TESTS = REPO / "tests"

NO_BEHAVIOUR = {
    "clusterstack/__init__.py": "the package's map of layers and one environment variable's name",
    "clusterstack/__main__.py": "``python -m clusterstack``: calls the CLI's main, nothing else",
    "clusterstack/adopt/__init__.py": "a docstring only",
    "clusterstack/analysis/__init__.py": "a docstring only",
    "clusterstack/engine/__init__.py": "a docstring only (tests/test_engine.py is the engine's end-to-end suite)",
    "clusterstack/kube/__init__.py": "a docstring only",
    "clusterstack/stack/__init__.py": "a docstring only",
    "clusterstack/program/__init__.py": "re-exports ``stack_args`` from loader.py, loaded on first use",
    "clusterstack/program/_sdk/__init__.py": "re-exports the modules of _sdk/ (tests/test_sdk.py checks the SDK's assumptions)",
    "clusterstack/kube/fields.py": "constants: which manifest fields hold quantities and ports",
    "clusterstack/kube/lifecycle.py": "two Literal types (deletion, on-existing), no code",
    "components/dns.py": "DnsArgs: three optional fields, no rule of its own",
}
"""Source modules with no behaviour of their own: re-exports, constants, ``__main__``, generated code."""

COVERED_BY = {
    # The analyses, verified through the commands that print them and Kubernetes' own test cases.
    "clusterstack/analysis/capacity.py": ("test_capacity.py", "the capacity report, tested with the node pools it reads (not yet split)"),
    "clusterstack/analysis/envdiff.py": ("test_environments.py", "``clusterstack diff`` between the shipped environments"),
    "clusterstack/analysis/limitranger.py": ("conformance/test_admission_conformance.py", "LimitRanger's upstream cases, and test_admission.py"),
    "clusterstack/analysis/pods.py": ("conformance/test_admission_conformance.py", "the quota evaluators' upstream cases, and test_admission.py"),
    # The command line: thin shells, verified as a user drives them.
    "clusterstack/cli/analysis_commands.py": ("test_cli.py", "end-to-end CLI: diff, dns forecast; admit, reach, capacity in their own suites"),
    "clusterstack/cli/app.py": ("test_cli.py", "end-to-end CLI: the command group and its shared options"),
    "clusterstack/cli/engine_commands.py": ("test_engine.py", "end-to-end CLI: preview, up, destroy, refresh, state"),
    "clusterstack/cli/progress.py": ("test_engine.py", "the progress line, on a terminal and off"),
    "clusterstack/cli/show.py": ("test_golden.py", "the plan as people and machines read it, byte for byte"),
    "clusterstack/cli/stack_commands.py": ("test_cli.py", "end-to-end CLI: stacks, render, validate, schema"),
    # The engine: verified through real runs.
    "clusterstack/engine/replace.py": ("test_parity.py", "pulumi-kubernetes' forceNew table, row by row"),
    "clusterstack/engine/run.py": ("test_engine.py", "the engine end to end: preview, up, drift, destroy"),
    "clusterstack/engine/state.py": ("test_store.py", "State and Entry as the store writes and reads them"),
    # Stack files -> spec.
    "clusterstack/stack/project.py": ("test_program_config.py", "Pulumi.yaml's config as the Pulumi CLI reads it"),
    "clusterstack/stack/schema.py": ("test_environments.py", "the published stack schema generated from the spec, over every stack"),
    "clusterstack/stack/secure.py": ("test_program_config.py", "passphrase-encrypted ``secure:`` values decrypted as Pulumi does"),
    "clusterstack/stack/spec.py": ("test_corpus.py", "every bad stack's message and key path, through every command"),
    # The Pulumi program's side.
    "clusterstack/program/loader.py": ("test_program_config.py", "``stack_args`` under clusterstack.testing and the engine"),
    "clusterstack/program/_sdk/exports.py": ("test_secrets.py", "exports resolved, secret ones masked"),
    "clusterstack/program/_sdk/goals.py": ("test_options.py", "what the engine does to a registration: inheritance, transforms"),
    "clusterstack/program/_sdk/monitor.py": ("test_library.py", "URNs as the engine names them, duplicates refused"),
    "clusterstack/program/_sdk/records.py": ("test_library.py", "URNs and error 2001 as the engine spells them"),
    "clusterstack/program/_sdk/runner.py": ("test_fast_path.py", "runs on both paths give the same registrations"),
    "clusterstack/program/_sdk/taking.py": ("test_fast.py", "what the fast path takes of a registration, as FastPath.check says"),
    "clusterstack/program/_sdk/wire.py": ("test_fast_path.py", "the fast path's values equal the SDK's"),
    "clusterstack/testing.py": ("test_example.py", "a team's unit tests of a composed program, with clusterstack.testing"),
    # The component library.
    "components/capacity.py": ("test_capacity.py", "NodePool's allocatable, tested with the report over it (not yet split)"),
    "components/cluster.py": ("test_network.py", "ClusterDns, which every default-deny egress policy allows"),
    "components/dns_autoscaler.py": ("test_dns.py", "DnsAutoscaler against upstream's manifest, under mocks"),
    "components/existing_namespaces.py": ("test_pod_security.py", "labels on namespaces the stack does not own"),
    "components/limits.py": ("test_tenant_rules.py", "ValidateLimitRange's rules, case by case"),
    "components/model.py": ("test_findings.py", "the models' hooks for problems and warnings; test_pydantic_errors.py for the rest"),
    "components/platform.py": ("test_blocks.py", "the platform's blocks; its cross-part rules in test_findings.py and test_corpus.py"),
    "components/quota.py": ("test_tenant_rules.py", "ValidateResourceQuotaSpec's rules, case by case"),
    "components/register.py": ("test_components.py", "what the components register under Pulumi's mocks"),
    # Adopting a running cluster (issue 24): the cluster-wide mappers' helpers, verified through the mappers.
    "clusterstack/adopt/fitting.py": ("test_adopt_cluster.py", "whose an object is and the notes, through map_cluster; test_adopt_dns.py too"),
    "clusterstack/adopt/dns_coredns.py": ("test_adopt_dns.py", "the Corefile back to dns.coredns, through map_dns"),
    "clusterstack/adopt/dns_node_local.py": ("test_adopt_dns.py", "NodeLocal DNSCache back to dns.nodeLocal, through map_dns"),
    # CoreDNS, split by job out of coredns.py (issue 22); its suite verifies the block as users set it.
    "components/coredns_args.py": ("test_coredns.py", "CoreDnsArgs and its on_cluster rules, through the block"),
    "components/coredns_corefile.py": ("test_coredns.py", "the Corefile rendered for each setting"),
    "components/coredns_servers.py": ("test_coredns.py", "servers given as Outputs, checked when they resolve"),
    "components/coredns_node_local.py": ("test_coredns.py", "the warnings beside NodeLocal DNSCache"),
    "clusterstack/kube/corefile.py": ("test_coredns.py", "CoreDNS's Corefile rules; test_dns.py for NodeLocal DNSCache's"),
    "components/nodelocaldns.py": ("test_dns.py", "NodeLocalDns against upstream's manifest, under mocks"),
    "components/network_policy.py": ("test_network.py", "NamespacePolicies: every rule's flows, evaluated"),
    "components/load_balancer.py": ("test_network.py", "LoadBalancer: the Service and the policy that lets its traffic in"),
}
"""Source modules a named suite verifies: module -> (the test module, relative to tests/, and why it is there)."""

QUALIFIED = {
    "clusterstack/kube/network.py": "tests/test_network.py is NetworkPolicies' and load balancers' suite",
}
"""Modules whose mirror is the qualified name though their name is unique: the plain one means something else."""

SUITES = {
    "test_architecture.py": "the layers hold: what the program loads, files read once, the process left as found",
    "test_capacity.py": "the capacity check as a whole: node pools' allocatable and the tenants' quotas against it",
    "test_corpus.py": "a corpus of bad stacks through every command that reads a stack",
    "test_docs.py": "every code block of the README and docs/ is valid and runs",
    "test_environments.py": "the shipped environments, their diffs and the published stack schema",
    "test_example.py": "the composing example (examples/team-app), unit-tested and previewed",
    "test_fast_path.py": "parity: the fast evaluation path gives exactly what the SDK's own path gives",
    "test_golden.py": "behaviour kept across refactors: every shipped stack and example's output, byte for byte",
    "test_import_cycles.py": "no import cycles between clusterstack's modules",
    "test_import_layers.py": "the import-layers contract",
    "test_library.py": "the components as a Pulumi library, used as a user's program uses them",
    "test_locks_and_faults.py": "locks and faults with real processes, signals, full disks",
    "test_mirror.py": "this contract",
    "test_packaging.py": "the built wheel, installed in a fresh virtual environment",
    "test_parity.py": "parity with pulumi-kubernetes: replace or update, as the provider decides",
    "test_program_config.py": "the config a Pulumi program runs with, as the Pulumi CLI builds it",
    "test_real_cluster.py": "what a real ``pulumi up`` does, read from pulumi-kubernetes' source",
    "test_replace_on_changes.py": "Pulumi's replaceOnChanges paths as the Pulumi engine parses and matches them",
    "test_sdk.py": "the Pulumi SDK's behaviour clusterstack relies on",
    "test_tenant_rules.py": "every rule the API server applies to a namespace, ResourceQuota and LimitRange",
    "test_dns.py": "the cluster DNS add-ons together: DnsAutoscaler and NodeLocalDns against upstream's manifests",
    "test_network.py": "network policies and load balancers, by the flows they open and close",
    "test_module_size.py": "no module over about 400 lines without saying why",
    "test_bench_scale.py": "bench/scale.py runs and prints every row of issue 23's table (no timing asserted)",
}
"""Cross-cutting test modules, named by what they verify across modules: file -> what it verifies."""


def source_modules() -> list[str]:
    return sorted(str(path.relative_to(REPO)) for _, path in sources.source_modules())


def _name_and_package(module: str) -> tuple[str, str]:
    path = Path(module)
    if path.name == "__init__.py":
        return path.parent.name, path.parent.parent.name
    return path.stem, path.parent.name


def mirrors(module: str, shared: Counter[str]) -> list[str]:
    """The test modules that count as ``module``'s mirror."""
    name, package = _name_and_package(module)
    qualified = f"test_{package}_{name}.py"
    return [qualified] if shared[name] > 1 or module in QUALIFIED else [f"test_{name}.py", qualified]


def every_test_module() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def unmirrored(modules: list[str]) -> list[str]:
    """What is wrong with ``modules``: each one with neither its mirrored test module nor a listing."""
    shared = Counter(_name_and_package(m)[0] for m in modules)
    present = {path.name for path in TESTS.glob("test_*.py")}
    return [
        f"{module}: no {' or '.join('tests/' + name for name in mirrors(module, shared))}, and not listed in tests/test_mirror.py"
        for module in modules
        if module not in NO_BEHAVIOUR and module not in COVERED_BY and not set(mirrors(module, shared)) & present
    ]


def test_every_source_module_has_its_mirrored_test_module_or_a_listing():
    assert unmirrored(source_modules()) == []


def test_the_check_finds_a_new_module_without_a_test():
    """The contract has teeth: a new source module nobody tests is found, and one sharing a name with
    another must take the qualified name."""
    assert unmirrored([*source_modules(), "clusterstack/kube/brand_new.py"]) == [
        "clusterstack/kube/brand_new.py: no tests/test_brand_new.py or tests/test_kube_brand_new.py, and not listed in tests/test_mirror.py"
    ]
    assert unmirrored([*source_modules(), "clusterstack/engine/yamlfile.py"]) == [
        "clusterstack/stack/yamlfile.py: no tests/test_stack_yamlfile.py, and not listed in tests/test_mirror.py",
        "clusterstack/engine/yamlfile.py: no tests/test_engine_yamlfile.py, and not listed in tests/test_mirror.py",
    ]


def test_a_module_is_listed_once_and_a_listed_module_or_test_file_exists():
    modules = set(source_modules())
    listed = [*NO_BEHAVIOUR, *COVERED_BY, *QUALIFIED]
    assert [m for m, n in Counter(listed).items() if n > 1] == []
    assert sorted(set(listed) - modules) == []
    named = [suite for suite, _ in COVERED_BY.values()] + list(SUITES)
    assert sorted(name for name in named if not (TESTS / name).is_file()) == []


def test_a_module_with_its_own_test_module_is_not_also_listed():
    modules = source_modules()
    shared = Counter(_name_and_package(m)[0] for m in modules)
    present = {path.name for path in TESTS.glob("test_*.py")}
    stale = [m for m in modules if m in COVERED_BY and set(mirrors(m, shared)) & present]
    assert stale == []


def test_every_test_module_mirrors_a_source_module_or_is_a_listed_suite():
    modules = source_modules()
    shared = Counter(_name_and_package(m)[0] for m in modules)
    mirrored = {name for module in modules for name in mirrors(module, shared)}
    orphans = [path.name for path in TESTS.glob("test_*.py") if path.name not in mirrored and path.name not in SUITES]
    assert orphans == []


def test_every_test_module_opens_with_the_contract_it_verifies():
    silent = [str(path.relative_to(REPO)) for path in every_test_module() if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert silent == []
