"""ResourceQuota specs, checked as the API server checks them (ValidateResourceQuotaSpec).

Pages: Configure Memory and CPU Quotas for a Namespace; Configure a Pod Quota for a Namespace;
Configure Quotas for API Objects; Limit Storage Consumption.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import pulumi
from pydantic import AfterValidator
from typing_extensions import Required

from ..kube import resources
from ..kube.findings import Finding, Findings
from ..kube.manifest import Manifest
from ..kube.quantity import Quantity
from ..kube.resources import QuotaScope, ScopeOperator
from .labels import Name, object_meta
from .model import DnsSubdomain, Model, QuantityInput, QuantityText, raise_problems


def _check_hard(hard: dict[str, QuantityInput]) -> dict[str, QuantityInput]:
    plain = {name: value for name, value in hard.items() if isinstance(value, Quantity)}
    raise_problems(hard_problems(plain, names=hard))
    # A value that is an Output is checked when it resolves, by the same rule.
    return {name: value if isinstance(value, Quantity) else value.apply(_whole_check(name)) for name, value in hard.items()}


def _whole_check(name: str) -> Callable[[Quantity], Quantity]:
    def check(quantity: Quantity) -> Quantity:
        raise_problems(hard_problems({name: quantity}))
        return quantity

    return check


Hard = Annotated[dict[str, QuantityInput], AfterValidator(_check_hard)]
"""``spec.hard``: quota resource name -> quantity, checked as ValidateResourceQuotaResourceName does.
A value may be an Output (checked when it resolves); the names are plain."""
HardInput = Mapping[str, QuantityText | Quantity | pulumi.Output[str] | pulumi.Output[Quantity]]
"""``hard`` as a caller writes it: {"requests.cpu": "4", "pods": 20}, or another quota's ``hard``."""


# Known names offered as "did you mean" for a key that is not a quota resource.
_SUGGESTIONS = (
    *resources.STANDARD_QUOTA_RESOURCES,
    "count/deployments.apps",
    "count/jobs.batch",
    "count/cronjobs.batch",
    "requests.nvidia.com/gpu",
    "hugepages-2Mi",
)


# <generated from the fields of ScopeRequirement by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ScopeRequirementArgsDict(TypedDict, total=False):
    """``ScopeRequirement`` as a dict, in the stack files' spelling."""

    scopeName: Required[QuotaScope]
    operator: Required[ScopeOperator]
    values: Sequence[str]
# </generated>


# <generated from the fields of ScopeSelector by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ScopeSelectorArgsDict(TypedDict, total=False):
    """``ScopeSelector`` as a dict, in the stack files' spelling."""

    matchExpressions: Required[Sequence[ScopeRequirement | ScopeRequirementArgsDict]]
# </generated>


# <generated from the fields of QuotaSpec by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class QuotaSpecArgsDict(TypedDict, total=False):
    """``QuotaSpec`` as a dict, in the stack files' spelling."""

    name: Required[DnsSubdomain]
    hard: Required[HardInput]
    scopes: Sequence[QuotaScope]
    scopeSelector: ScopeSelector | ScopeSelectorArgsDict
# </generated>


class ScopeRequirement(Model):
    """One ``scopeSelector.matchExpressions`` entry."""

    scope_name: QuotaScope
    operator: ScopeOperator
    values: tuple[str, ...] = ()
    """Required by In and NotIn; Exists and DoesNotExist take none."""

    # <generated from the fields of ScopeRequirement by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, scope_name: QuotaScope, operator: ScopeOperator, values: Sequence[str] = ()) -> None: ...
    # </generated>


class ScopeSelector(Model):
    match_expressions: tuple[ScopeRequirement, ...]

    # <generated from the fields of ScopeSelector by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, match_expressions: Sequence[ScopeRequirement | ScopeRequirementArgsDict]) -> None: ...
    # </generated>


class QuotaSpec(Model):
    """One named ResourceQuota: ``hard`` limits, optionally narrowed by ``scopes`` or a ``scopeSelector``."""

    name: DnsSubdomain
    hard: Hard
    scopes: tuple[QuotaScope, ...] = ()
    """Empty: the quota tracks every object in the namespace."""
    scope_selector: ScopeSelector | None = None

    # <generated from the fields of QuotaSpec by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsSubdomain, hard: HardInput, scopes: Sequence[QuotaScope] = (),
            scope_selector: ScopeSelector | ScopeSelectorArgsDict | None = None,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        yield from quota_problems(self.hard, self.scopes, self.scope_selector)


def hard_problems(hard: Mapping[str, Quantity], names: Iterable[str] | None = None) -> Findings:
    """Keys (``names``, default those of ``hard``) must be quota resources; counts and extended
    resources must be whole numbers."""
    for name in names if names is not None else hard:
        reason = resources.quota_resource_problem(name)
        quantity = hard.get(name)
        if reason is not None:
            yield Finding((name,), f"{reason}{_closest(name)}")
        elif quantity is not None and resources.is_whole_number_quota_resource(name) and not quantity.is_whole:
            yield Finding((name,), f"{quantity} is not a whole number; {name} counts whole units")


def quota_problems(
    hard: Mapping[str, QuantityInput], scopes: Iterable[str], selector: ScopeSelector | None
) -> Findings:
    """The scope rules: which scopes may track which resources, and selector operators."""
    expressions = selector.match_expressions if selector is not None else ()
    for index, requirement in enumerate(expressions):
        at = ("scopeSelector", "matchExpressions", index)
        if requirement.operator in ("In", "NotIn") and not requirement.values:
            yield Finding((*at, "values"), f"operator {requirement.operator} needs at least one value")
        if requirement.operator in ("Exists", "DoesNotExist") and requirement.values:
            yield Finding((*at, "values"), f"operator {requirement.operator} takes no values; remove them")
        if requirement.scope_name != "PriorityClass" and requirement.operator != "Exists":
            yield Finding((*at, "operator"), f"scope {requirement.scope_name} only takes operator Exists")
    in_force = list(dict.fromkeys([*scopes, *(e.scope_name for e in expressions)]))
    for scope in in_force:
        allowed = "pods" if scope == "BestEffort" else "pods and cpu/memory requests and limits"
        for name in hard:
            if not _scope_applies(scope, name):
                yield Finding(("hard", name), f"scope {scope} cannot track {name}; it applies only to {allowed}")
    for first, second in resources.CONFLICTING_SCOPES:
        if first in in_force and second in in_force:
            yield Finding(("scopes",), f"{first} and {second} conflict: no pod matches both")


def _scope_applies(scope: str, resource: str) -> bool:
    if scope == "BestEffort":
        return resource == "pods"
    return resource == "pods" or resource in resources.POD_COMPUTE_QUOTA_RESOURCES


def _closest(name: str) -> str:
    close = difflib.get_close_matches(name, _SUGGESTIONS, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return (
        " (valid: requests.cpu, limits.memory, pods, services, configmaps, count/<resource>.<group>,"
        " requests.storage, <class>.storageclass.storage.k8s.io/requests.storage, ...)"
    )


def _text(quantity: QuantityInput) -> str | pulumi.Output[str]:
    """A quantity as written (``500m`` stays ``500m``); an Output's once it resolves."""
    return quantity.text if isinstance(quantity, Quantity) else quantity.apply(lambda resolved: resolved.text)


def build_quota(spec: QuotaSpec, namespace: Name, environment: str | None) -> Manifest:
    body: dict[str, Any] = {"hard": {name: _text(quantity) for name, quantity in spec.hard.items()}}
    if spec.scopes:
        body["scopes"] = list(spec.scopes)
    if spec.scope_selector is not None:
        body["scopeSelector"] = {
            "matchExpressions": [
                {"scopeName": e.scope_name, "operator": e.operator, **({"values": list(e.values)} if e.values else {})}
                for e in spec.scope_selector.match_expressions
            ]
        }
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": object_meta(spec.name, namespace, environment),
        "spec": body,
    }
