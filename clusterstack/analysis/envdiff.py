"""How two environments differ: the objects only one declares, and the field differences of the
shared ones, compared as the plan compares (quantities by value, empty equals absent). The label
naming the environment differs on every object by design, so it is left out."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from ..components.labels import ENVIRONMENT
from ..engine.plan import FieldChange, diff_fields, normalize
from ..kube.kinds import ObjectKey
from ..program.evaluate import Evaluation


@dataclass(frozen=True)
class EnvironmentDiff:
    first: str
    second: str
    only_first: list[ObjectKey]
    only_second: list[ObjectKey]
    changed: list[tuple[ObjectKey, tuple[FieldChange, ...]]]
    same: int


def compare(first: Evaluation, second: Evaluation) -> EnvironmentDiff:
    a = {d.key: _comparable(d.manifest) for d in first.objects}
    b = {d.key: _comparable(d.manifest) for d in second.objects}
    changed: list[tuple[ObjectKey, tuple[FieldChange, ...]]] = []
    same = 0
    for key in sorted(a.keys() & b.keys(), key=ObjectKey.sort_key):
        left, right = normalize(a[key]), normalize(b[key])
        if left == right:
            same += 1
        else:
            changed.append((key, diff_fields(left, right, a[key], b[key])))
    return EnvironmentDiff(
        first.stack,
        second.stack,
        sorted(a.keys() - b.keys(), key=ObjectKey.sort_key),
        sorted(b.keys() - a.keys(), key=ObjectKey.sort_key),
        changed,
        same,
    )


def _comparable(manifest: dict[str, Any]) -> dict[str, Any]:
    manifest = copy.deepcopy(manifest)
    manifest.get("metadata", {}).get("labels", {}).pop(ENVIRONMENT, None)
    return manifest


def as_text(diff: EnvironmentDiff) -> str:
    lines = [f"--- {diff.first}", f"+++ {diff.second}", ""]
    if diff.only_first:
        lines.append(f"Only in {diff.first}:")
        lines += [f"  - {key}" for key in diff.only_first]
        lines.append("")
    if diff.only_second:
        lines.append(f"Only in {diff.second}:")
        lines += [f"  + {key}" for key in diff.only_second]
        lines.append("")
    if diff.changed:
        lines.append("Different:")
        for key, fields in diff.changed:
            lines.append(f"  ~ {key}")
            for field in fields:
                lines.append(f"      {field.dotted}: {_text(field.before)} | {_text(field.after)}")
        lines.append("")
    lines.append(
        f"{len(diff.only_first)} only in {diff.first}, {len(diff.only_second)} only in {diff.second}, "
        f"{len(diff.changed)} different, {diff.same} the same."
    )
    return "\n".join(lines)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def as_json(diff: EnvironmentDiff) -> str:
    return json.dumps(
        {
            "first": diff.first,
            "second": diff.second,
            "onlyInFirst": [str(k) for k in diff.only_first],
            "onlyInSecond": [str(k) for k in diff.only_second],
            "different": [
                {"identity": str(key), "fields": [{"path": f.dotted, diff.first: f.before, diff.second: f.after} for f in fields]}
                for key, fields in diff.changed
            ],
            "same": diff.same,
        },
        indent=2,
        sort_keys=True,
    )
