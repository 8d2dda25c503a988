"""How long validating a stack of many ``allowFrom`` rules takes, before and after the policy index.

The stack: two tenant namespaces denying all traffic, ``a`` admitting ``b`` on 2,000 ports (the
shape that made validate quadratic: each rule was checked against every policy both namespaces
render), ``b`` sending to half of them. This prints, measured in this one run:

- the cross-namespace checks (``platform.coherence_warnings``) with the naive check kept as the tests'
  oracle (tests/one_sided_reference.py) and with the index, and whether their findings are equal;
- ``clusterstack validate --no-cache`` on the same stack, in a fresh process (the whole command).

    .venv/bin/python bench/rules.py [--rules 2000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the naive oracle lives with the tests


def make_project(root: Path, rules: int) -> None:
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    (root / "stacks" / "common.yaml").write_text(yaml.safe_dump({"config": {"kubernetes:context": "bench"}}))
    deny = {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True}
    namespaces = {
        "a": {"networkPolicy": {**deny, "allowFrom": [{"namespace": "b", "ports": [{"port": 10000 + i}]} for i in range(rules)]}},
        "b": {"networkPolicy": {**deny, "allowTo": [{"namespace": "a", "ports": [{"port": 10000 + i}]} for i in range(0, rules, 2)]}},
    }
    (root / "stacks" / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": {"clusterstack:namespaces": namespaces}}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=2000)
    rules = parser.parse_args().rules
    from clusterstack.components.platform import coherence_warnings as warnings
    from clusterstack.stack.files import read_stack
    from clusterstack.stack.project import Project
    from clusterstack.stack.spec import load_spec
    from tests.one_sided_reference import reference_warnings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, rules)
        args = load_spec(read_stack(Project.load(root), "bench")).args
        start = time.perf_counter()
        before = reference_warnings(args)
        naive = time.perf_counter() - start
        start = time.perf_counter()
        after = list(warnings(args))
        indexed = time.perf_counter() - start
        start = time.perf_counter()
        command = subprocess.run(
            [str(Path(sys.executable).parent / "clusterstack"), "--project-dir", str(root), "validate", "-s", "bench", "--no-cache"],
            capture_output=True, text=True, check=False,
        )
        whole = time.perf_counter() - start
    print(f"{rules:,} allowFrom rules ({len(after):,} findings; same as the naive check: {before == after})")
    print(f"  cross-namespace checks, naive (before)   {naive:8.2f} s")
    print(f"  cross-namespace checks, indexed (after)  {indexed:8.2f} s")
    print(f"  clusterstack validate --no-cache          {whole:8.2f} s  (exit {command.returncode})")


if __name__ == "__main__":
    main()
