"""The finding protocol: one type for what validation says, one key path, one pair of hooks per model.

What this module verifies:

- ``Finding(path, message, severity)`` (clusterstack/kube/findings.py) is a frozen value whose severity
  is ``error`` or ``warning`` and nothing else; it reads ``<dotted path>: <message>``, the message
  alone at the root, as every message a user sees is worded.
- ``prefixed`` puts a holder's key in front of each finding of its part, keeping message, severity
  and order; ``errors_of`` and ``warnings_of`` split findings by severity, in order; ``raise_problems``
  fails on the errors only.
- ``KeyPath`` and ``dotted`` are defined once, in clusterstack/kube/paths.py, and nothing re-prefixes
  key paths by hand (``((key, *path), message) for path, message in ...``).
- Every Model subclass speaks the one hook protocol: ``_problems(self)`` (run when the model is
  built) and ``warnings(self)``, and, for a part whose rules read the cluster's facts,
  ``on_cluster(self, cluster)``; each is a generator of Findings. No other method of a model is
  named for problems or warnings, and no module keeps a rule of another shape (a module-level
  ``warnings(args, cluster)``, ``cluster_problems``, a rule returning a list).
- Run on a stack that draws both kinds, the hooks hold to it: warnings come out as warnings at the
  stack's key paths, errors as errors, and the stack loader words both as before: for 150 generated
  stacks (tests/messages_corpus.py), every message and its order is what the code printed before the
  finding type (tests/data/findings/messages.jsonl, recorded with commit 69695ed).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from clusterstack.components.model import Invalid, Model, describe, raise_problems
from clusterstack.components.platform import ClusterPlatformArgs
from clusterstack.kube.findings import Finding, errors_of, prefixed, warning, warnings_of
from clusterstack.kube.paths import dotted
from tests import messages_corpus
from tests.conftest import REPO
from tests.helpers import STACK_FILE, load
from tests.sources import source_modules

RULE_PACKAGES = ("clusterstack.components", "clusterstack.kube", "clusterstack.stack")
"""Where the rules of the models, the Kubernetes facts and the stack loader live."""


# --- The type --------------------------------------------------------------------------------------


def test_a_finding_is_a_frozen_value_that_reads_as_its_key_and_message():
    found = Finding(("namespaces", "team", "quotas", 0, "hard", "pods"), "is not a whole number")
    assert (found.severity, found.is_error) == ("error", True)
    assert str(found) == "namespaces.team.quotas[0].hard.pods: is not a whole number"
    assert str(Finding((), "sets nothing")) == "sets nothing"
    assert found == Finding(found.path, found.message, "error")
    assert len({found, Finding(found.path, found.message)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.message = "changed"  # type: ignore[misc]


def test_severity_is_error_or_warning_and_nothing_else():
    assert warning(("cache",), "is low").severity == "warning"
    assert not warning(("cache",), "is low").is_error
    with pytest.raises(ValueError, match="severity 'fatal' is neither error nor warning"):
        Finding((), "boom", "fatal")  # type: ignore[arg-type]


def test_prefixed_puts_the_holders_key_first_and_keeps_the_rest():
    part = [Finding(("port",), "is 0"), warning((), "is odd"), Finding((2, "name"), "is taken")]
    assert list(prefixed(("loadBalancers", "web", "ports", 0), part)) == [
        Finding(("loadBalancers", "web", "ports", 0, "port"), "is 0"),
        warning(("loadBalancers", "web", "ports", 0), "is odd"),
        Finding(("loadBalancers", "web", "ports", 0, 2, "name"), "is taken"),
    ]
    assert list(prefixed((), part)) == part


def test_findings_split_by_severity_in_order_and_only_errors_fail_a_model():
    mixed = [warning(("a",), "1"), Finding(("b",), "2"), warning(("c",), "3"), Finding(("d",), "4")]
    assert errors_of(mixed) == [mixed[1], mixed[3]]
    assert warnings_of(mixed) == [mixed[0], mixed[2]]
    raise_problems(iter(warnings_of(mixed)))  # warnings alone pass
    with pytest.raises(Invalid) as caught:
        raise_problems(iter(mixed))
    assert caught.value.problems == [mixed[1], mixed[3]]
    assert str(caught.value) == "b: 2; d: 4"


def test_dotted_writes_keys_with_dots_and_indexes_in_brackets():
    assert dotted(()) == ""
    assert dotted(("spec", "ports", 0, "port")) == "spec.ports[0].port"
    assert dotted((0, "name")) == "[0].name"
    assert dotted(("clusterstack:dns", "coredns", "stubDomains", "consul.local", 1)) == "clusterstack:dns.coredns.stubDomains.consul.local[1]"


# --- One definition, no hand-made copies ---------------------------------------------------------


def _trees() -> Iterator[tuple[Path, ast.Module]]:
    for _, path in source_modules():
        yield path, ast.parse(path.read_text(), str(path))


def test_the_key_path_type_and_its_spelling_are_defined_once():
    paths = REPO / "clusterstack" / "kube" / "paths.py"
    spellers, aliases = [], []
    for path, tree in _trees():
        for node in tree.body:  # module level: a method may well be named dotted and call this one
            if isinstance(node, ast.FunctionDef) and node.name in ("dotted", "_dotted", "format_path") and path != paths:
                spellers.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}")
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if value is not None and ast.unparse(value) == "tuple[str | int, ...]" and path != paths:
                aliases.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert spellers == []
    # Pulumi's property path is a pattern (its ``*`` matches any key), not a place: the one alias left.
    assert aliases == ["clusterstack/program/options.py:24"]


def _re_prefixing(node: ast.AST) -> bool:
    """``((key, *path), message) for path, message in findings``: what ``prefixed`` says."""
    if not isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return False
    element, target = node.elt, node.generators[0].target
    return (
        isinstance(element, ast.Tuple)
        and len(element.elts) == 2
        and isinstance(element.elts[0], ast.Tuple)
        and any(isinstance(part, ast.Starred) for part in element.elts[0].elts)
        and isinstance(target, ast.Tuple)
        and len(target.elts) == 2
    )


def test_no_key_path_is_re_prefixed_by_hand():
    found = [f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}" for path, tree in _trees() for node in ast.walk(tree) if _re_prefixing(node)]
    assert found == []


# --- One protocol -----------------------------------------------------------------------------------


def _modules() -> list[ModuleType]:
    found: list[ModuleType] = []
    for package_name in RULE_PACKAGES:
        package = importlib.import_module(package_name)
        found.append(package)
        found += [importlib.import_module(info.name) for info in pkgutil.walk_packages(package.__path__, f"{package_name}.")]
    return found


def _models() -> list[type[Model]]:
    _modules()  # every model is defined by the time its module is imported
    seen: list[type[Model]] = []
    stack: list[type[Model]] = [Model]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    # The project's models only: a test may define a model of its own.
    ours = [cls for cls in seen if cls.__module__.startswith("clusterstack.")]
    return sorted(ours, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


HOOKS = {"_problems": ["self"], "warnings": ["self"], "on_cluster": ["self", "cluster"]}
"""The hooks a model may define, with their parameters."""
_FINDING_NAME = re.compile(r"problem|warning", re.IGNORECASE)


def test_the_walk_sees_the_models_it_is_about():
    names = {cls.__name__ for cls in _models()}
    assert {"ClusterPlatformArgs", "TenantNamespaceArgs", "CoreDnsArgs", "NodeLocalDnsArgs", "IpMasqArgs", "StackSpec", "Limits"} <= names
    assert len(names) >= 35


@pytest.mark.parametrize("model", _models(), ids=lambda cls: cls.__qualname__)
def test_every_model_speaks_the_one_hook_protocol(model):
    for name, member in vars(model).items():
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if not inspect.isfunction(function):
            continue
        if name in HOOKS:
            assert inspect.isgeneratorfunction(function), f"{model.__qualname__}.{name} must be a generator"
            assert list(inspect.signature(function).parameters) == HOOKS[name], f"{model.__qualname__}.{name}{inspect.signature(function)}"
            assert inspect.signature(function).return_annotation == "Findings"
        else:
            assert not _FINDING_NAME.search(name), f"{model.__qualname__}.{name}: findings go through _problems, warnings or on_cluster"


def _yields_findings(function: Callable[..., object]) -> bool:
    return inspect.isgeneratorfunction(function) and inspect.signature(function).return_annotation == "Findings"


def test_every_rule_function_is_a_generator_of_findings():
    """A function named for problems or warnings yields Findings: the one shape every caller prefixes
    and filters. (``*_problem``, singular, gives the reason for one value, or None.)"""
    odd = []
    for module in _modules():
        for name, member in vars(module).items():
            if not inspect.isfunction(member) or member.__module__ != getattr(module, "__name__", None):
                continue
            # The platform's cross-part rules are coherence_problems and coherence_warnings (platform.py),
            # called from ClusterPlatformArgs' two hooks and nowhere else.
            if name in ("warnings", "cluster_problems"):
                odd.append(f"{module.__name__}.{name}: a model's warnings are its hook")
            elif re.search(r"(problems|warnings)$", name) and name != "raise_problems" and not _yields_findings(member):
                odd.append(f"{module.__name__}.{name}{inspect.signature(member)}")
    assert odd == []


# --- The protocol at work ---------------------------------------------------------------------------

_NOISY: dict[str, dict] = {
    "cluster": {"kubeProxyMode": "ipvs", "networkPlugin": "flannel", "distribution": "eks"},
    "namespaces": {"team": {"quota": {"requests.cpu": "4"}, "networkPolicy": {"defaultDeny": ["Ingress"]}}},
    "dns": {"nodeLocal": {"memoryLimit": "8Mi"}, "coredns": {"pdb": {"maxUnavailable": 0}}},
    "ipMasq": {"masqLinkLocalIPv6": True},
}
"""A valid platform that draws a warning from nearly every part: its own, its parts', the cluster's."""


def test_a_platforms_warnings_are_warnings_at_the_stacks_key_paths():
    found = list(ClusterPlatformArgs.model_validate(_NOISY).warnings())
    assert {f.severity for f in found} == {"warning"}
    paths = [dotted(f.path) for f in found]
    for expected in ("namespaces.team.quota.requests.cpu", "dns.nodeLocal.memoryLimit", "dns.nodeLocal.localIP", "dns.coredns.pdb.maxUnavailable",
                     "dns.coredns", "ipMasq.masqLinkLocalIPv6", "namespaces.team.networkPolicy"):
        assert expected in paths
    # A part's own warnings, then those its cluster's facts draw: the order the stack loader prints.
    assert paths.index("dns.nodeLocal.memoryLimit") < paths.index("dns.nodeLocal.localIP") < paths.index("dns.coredns.pdb.maxUnavailable")


def test_a_platforms_errors_are_errors_at_the_stacks_key_paths_the_cluster_part_included():
    with pytest.raises(ValidationError) as caught:
        ClusterPlatformArgs.model_validate(
            {"cluster": {"distribution": "gke"}, "dns": {"coredns": {}, "nodeLocal": {"localIP": "169.254.20.10"}}, "namespaces": {"Bad": {}}}
        )
    described = describe(caught.value, ClusterPlatformArgs)
    assert all(f.is_error for f in described)
    assert [dotted(f.path) for f in described] == ["namespaces.Bad"]  # a field error stops the model before its cross-part rules
    with pytest.raises(ValidationError) as caught:
        ClusterPlatformArgs.model_validate({"cluster": {"distribution": "gke"}, "dns": {"coredns": {}}})
    [found] = describe(caught.value, ClusterPlatformArgs)
    assert (found.path, found.severity) == (("dns", "coredns"), "error")
    assert found.message.startswith("GKE runs kube-dns, not CoreDNS")


def test_the_stack_loader_words_findings_as_before():
    noisy = dict(_NOISY)
    warned = [str(w) for w in load(noisy.pop("namespaces"), **noisy).warnings]
    assert len(warned) >= 7
    assert all(w.startswith(f"{STACK_FILE}: clusterstack:") for w in warned)
    assert f"{STACK_FILE}: clusterstack:ipMasq.masqLinkLocalIPv6: has no effect: the agent writes IPv6 rules only with enableIPv6: true" in warned


def test_every_message_and_its_order_is_as_the_code_before_the_finding_type_printed_it():
    recorded = [json.loads(line) for line in (REPO / "tests" / "data" / "findings" / "messages.jsonl").read_text().splitlines()]
    assert len(recorded) == messages_corpus.COUNT
    assert sum(1 for said in recorded if said and said[0].startswith("warning: ")) > 100  # the corpus draws warnings, many at once
    assert max(len(said) for said in recorded) > 10
    for index, (values, said) in enumerate(zip(messages_corpus.stacks(), recorded, strict=True)):
        assert messages_corpus.messages(values) == said, f"stack {index}: {json.dumps(values)}"
