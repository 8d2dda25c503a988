"""Benchmark the embedded engine on generated stacks of 10, 100 and 1,000 tenant namespaces.

Each namespace has a quota, a limit range and network policies (default deny, DNS, same namespace),
as a production tenant would. For each size this times, in a fresh process each: render, the first
preview, up, and a no-change preview; and prints objects, seconds and peak RSS as a table. It also
times validating the stack and building the objects without Pulumi, to show how much of a preview
is the Pulumi SDK's mock runtime.

    .venv/bin/python bench/preview.py [--sizes 10,100,1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TENANT = {
    "labels": {"team": "bench"},
    "podSecurity": "restricted",
    "quota": {"requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8", "limits.memory": "16Gi", "pods": "40"},
    "limits": {
        "container": {"default": {"cpu": "500m", "memory": "512Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "max": {"cpu": "2", "memory": "4Gi"}}
    },
    "networkPolicy": {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True},
}
# Validating the stack and building every object with the pure builders, without Pulumi: what a
# preview would cost if the SDK's mock runtime were free.
PURE_BUILD = (
    "import sys, time; from clusterstack.stack.project import Project; from clusterstack.stack.files import read_stack; "
    "from clusterstack.stack.spec import load_spec; from clusterstack.components import build_platform; "
    "start = time.perf_counter(); args = load_spec(read_stack(Project.load(sys.argv[1]), 'bench')).args; "
    "objects = build_platform(args, 'bench'); print(len(objects), time.perf_counter() - start)"
)


def make_project(root: Path, size: int) -> None:
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    shutil.copy(REPO / "stacks" / "common.yaml", root / "stacks" / "common.yaml")
    namespaces = {f"team-{i:04d}": TENANT for i in range(size)}
    config = {"clusterstack:namespaces": namespaces, "clusterstack:dns": {"nodeLocal": {}}}
    (root / "stacks" / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))


def run(argv: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Seconds, peak RSS (MiB) and output of one command in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    # Read the output while the child runs, then reap it with wait4 for its own resource usage.
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="namespace counts, comma-separated")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    cli = [sys.executable, "-m", "clusterstack"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="clusterstack-bench-") as scratch:
        for size in sizes:
            root = Path(scratch) / f"n{size}"
            make_project(root, size)
            base = [*cli, "--project-dir", str(root)]
            render = run([*base, "render", "-s", "bench"])
            objects = render[2].count("\nkind: ") + render[2].startswith("kind: ")
            first = run([*base, "preview", "-s", "bench"])
            up = run([*base, "up", "-s", "bench", "--yes"])
            again = run([*base, "preview", "-s", "bench", "--detailed-exitcode"])
            assert again[2].strip().endswith("No changes."), again[2][-300:]
            built, pure_seconds = run([sys.executable, "-c", PURE_BUILD, str(root)])[2].split()
            assert int(built) == objects, (built, objects)
            rows.append((size, objects, render, first, up, again, float(pure_seconds)))
    header = f"{'namespaces':>10} {'objects':>8} | {'render s':>8} {'preview s':>9} {'up s':>7} {'no-op s':>8} | {'peak RSS MiB':>12} | {'without SDK s':>13}"
    print(header)
    print("-" * len(header))
    for size, objects, render, first, up, again, pure in rows:
        peak = max(render[1], first[1], up[1], again[1])
        print(f"{size:>10} {objects:>8} | {render[0]:>8.1f} {first[0]:>9.1f} {up[0]:>7.1f} {again[0]:>8.1f} | {peak:>12.0f} | {pure:>13.2f}")
    print(
        f"\n{os.cpu_count()} CPUs; Python {sys.version.split()[0]}. Each command runs in a fresh process (interpreter start "
        "included). 'without SDK' validates the stack and builds every object with the pure builders, in-process: the "
        "rest of a preview is the Pulumi SDK's mock runtime running the program."
    )


if __name__ == "__main__":
    main()
