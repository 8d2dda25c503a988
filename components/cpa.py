"""cluster-proportional-autoscaler's parameters and the replica count it would choose.

Page: Autoscale the DNS Service in a Cluster. The semantics are the autoscaler's own
(kubernetes-sigs/cluster-proportional-autoscaler, pkg/autoscaler/controller/{linear,ladder}controller):
the same checks as its parameter parser, and the same arithmetic, so ``forecast`` answers what the
running autoscaler will do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypedDict

from pydantic import Field

from ..kube.findings import Finding, Findings, warning
from .model import Model

NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
Replicas = Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]
"""A replica count: the Deployment's spec.replicas is an int32."""


# <generated from the fields of LinearParams by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class LinearParamsArgsDict(TypedDict, total=False):
    """``LinearParams`` as a dict, in the stack files' spelling."""

    coresPerReplica: float
    nodesPerReplica: float
    min: Replicas
    max: Replicas
    preventSinglePointFailure: bool
    includeUnschedulableNodes: bool
# </generated>


# <generated from the fields of LadderParams by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class LadderParamsArgsDict(TypedDict, total=False):
    """``LadderParams`` as a dict, in the stack files' spelling."""

    coresToReplicas: Sequence[Sequence[int]]
    nodesToReplicas: Sequence[Sequence[int]]
    includeUnschedulableNodes: bool
# </generated>


class LinearParams(Model):
    """``replicas = max(ceil(cores / coresPerReplica), ceil(nodes / nodesPerReplica))``, clamped to min and max."""

    cores_per_replica: Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)] | None = None
    """Cores per replica; 0 or unset: cores do not count. Dominates on clusters of large nodes."""
    nodes_per_replica: Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)] | None = None
    """Nodes per replica; 0 or unset: nodes do not count. Dominates on clusters of small nodes."""
    min: Replicas = 0
    """Fewest replicas; the autoscaler reads 0 as 1."""
    max: Replicas = 0
    """Most replicas; 0 means no maximum."""
    prevent_single_point_failure: bool = False
    """With more than one node, at least 2 replicas (even above max)."""
    include_unschedulable_nodes: bool = False
    """Count cordoned and unschedulable nodes and their cores too."""

    # <generated from the fields of LinearParams by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, cores_per_replica: float | None = None, nodes_per_replica: float | None = None, min: Replicas = 0, max: Replicas = 0,
            prevent_single_point_failure: bool = False, include_unschedulable_nodes: bool = False,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        if self.max != 0 and self.max < max(self.min, 1):
            yield Finding(("max",), f"{self.max} is below min {max(self.min, 1)}; use max ≥ min, or 0 for no maximum")
        if not self.cores_per_replica and not self.nodes_per_replica:
            yield Finding((), "needs coresPerReplica or nodesPerReplica above 0 (the autoscaler refuses parameters with neither)")

    def to_json(self) -> str:
        params = {
            "coresPerReplica": self.cores_per_replica,
            "nodesPerReplica": self.nodes_per_replica,
            "min": self.min,
            "max": self.max,
            "preventSinglePointFailure": self.prevent_single_point_failure,
            "includeUnschedulableNodes": self.include_unschedulable_nodes,
        }
        return json.dumps({k: _number(v) for k, v in params.items() if v is not None}, sort_keys=True, separators=(",", ":"))


Step = tuple[NonNegativeInt, NonNegativeInt]


class LadderParams(Model):
    """Step tables of ``[threshold, replicas]``: the replicas of the last step whose threshold is reached."""

    cores_to_replicas: tuple[Step, ...] = ()
    nodes_to_replicas: tuple[Step, ...] = ()
    include_unschedulable_nodes: bool = False
    """Count cordoned and unschedulable nodes and their cores too."""

    # <generated from the fields of LadderParams by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, cores_to_replicas: Sequence[Sequence[int]] = (), nodes_to_replicas: Sequence[Sequence[int]] = (),
            include_unschedulable_nodes: bool = False,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        if not self.cores_to_replicas and not self.nodes_to_replicas:
            yield Finding((), "needs coresToReplicas or nodesToReplicas: with neither, the autoscaler scales DNS to 0 replicas")
        for key, table in (("coresToReplicas", self.cores_to_replicas), ("nodesToReplicas", self.nodes_to_replicas)):
            for index in range(1, len(table)):
                if table[index][0] <= table[index - 1][0]:
                    yield Finding((key, index), (
                        f"threshold {table[index][0]} does not increase on {table[index - 1][0]}; "
                        "thresholds must be strictly increasing"
                    ))

    def warnings(self) -> Findings:
        for key, table in (("coresToReplicas", self.cores_to_replicas), ("nodesToReplicas", self.nodes_to_replicas)):
            for index, (threshold, replicas) in enumerate(table):
                if replicas == 0:
                    yield warning((key, index), f"scales to 0 replicas at {threshold}: no DNS unless the other table asks for more")

    def to_json(self) -> str:
        params = {
            "coresToReplicas": [list(s) for s in self.cores_to_replicas],
            "nodesToReplicas": [list(s) for s in self.nodes_to_replicas],
            "includeUnschedulableNodes": self.include_unschedulable_nodes,
        }
        return json.dumps({k: v for k, v in params.items() if v != []}, sort_keys=True, separators=(",", ":"))


def _number(value: float | int | bool | None) -> float | int | bool | None:
    """Whole floats as integers (16 rather than 16.0), as an administrator would write them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class ClusterSize:
    """What the autoscaler counts: all nodes and cores, and the schedulable ones (not cordoned)."""

    nodes: int
    cores: int
    schedulable_nodes: int
    schedulable_cores: int

    @classmethod
    def of(cls, nodes: int, cores: int, schedulable_nodes: int | None = None, schedulable_cores: int | None = None) -> ClusterSize:
        return cls(
            nodes,
            cores,
            schedulable_nodes if schedulable_nodes is not None else nodes,
            schedulable_cores if schedulable_cores is not None else cores,
        )


@dataclass(frozen=True)
class Forecast:
    replicas: int
    from_cores: int
    from_nodes: int
    nodes: int
    """The node count the answer used (all nodes, or only schedulable ones)."""
    cores: int


def forecast(params: LinearParams | LadderParams, size: ClusterSize) -> Forecast:
    if isinstance(params, LinearParams):
        return _linear(params, size)
    return _ladder(params, size)


def _counted(params: LinearParams | LadderParams, size: ClusterSize) -> tuple[int, int]:
    if params.include_unschedulable_nodes:
        return size.nodes, size.cores
    return size.schedulable_nodes, size.schedulable_cores


def _linear(params: LinearParams, size: ClusterSize) -> Forecast:
    nodes, cores = _counted(params, size)
    minimum = params.min if params.min > 0 else 1

    def from_ratio(count: int, per_replica: float | None) -> int:
        if not per_replica:
            return 1
        replicas = math.ceil(count / per_replica)
        if params.max != 0:
            replicas = min(params.max, replicas)
        return max(minimum, replicas)

    from_cores = from_ratio(cores, params.cores_per_replica)
    from_nodes = from_ratio(nodes, params.nodes_per_replica)
    if params.prevent_single_point_failure and nodes > 1 and from_nodes < 2:
        from_nodes = 2
    return Forecast(max(from_cores, from_nodes), from_cores, from_nodes, nodes, cores)


def _ladder(params: LadderParams, size: ClusterSize) -> Forecast:
    nodes, cores = _counted(params, size)
    from_cores = _step(cores, params.cores_to_replicas)
    from_nodes = _step(nodes, params.nodes_to_replicas)
    return Forecast(max(from_cores, from_nodes), from_cores, from_nodes, nodes, cores)


def _step(count: int, table: tuple[Step, ...]) -> int:
    if not table:
        return 0
    replicas = table[0][1]
    for threshold, step_replicas in table:
        if count < threshold:
            break
        replicas = step_replicas
    return replicas
