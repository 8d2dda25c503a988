"""Benchmark the embedded engine on generated stacks of 10, 100 and 1,000 tenant namespaces.

Each namespace has a quota, a limit range and network policies (default deny, DNS, same namespace),
as a production tenant would. For each size this times, in a fresh process each: render, the first
preview, up, and a no-change preview; and prints objects, seconds and peak RSS as a table. It also
times the Pulumi SDK's mock runtime alone, registering the same number of resources from a trivial
program, to show how much of a preview is the SDK's.

    .venv/bin/python bench/preview.py [--sizes 10,100,1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TENANT = {
    "labels": {"team": "bench"},
    "podSecurity": "restricted",
    "quota": {"requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8", "limits.memory": "16Gi", "pods": "40"},
    "limits": {"container": {"default": {"cpu": "500m", "memory": "512Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "max": {"cpu": "2", "memory": "4Gi"}}},
    "networkPolicy": {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True},
}
SDK_ONLY = textwrap.dedent(
    """
    import os
    import pulumi
    import pulumi_kubernetes as k8s

    class Tenant(pulumi.ComponentResource):
        def __init__(self, name):
            super().__init__("bench:index:Tenant", name, None, None)
            for index in range(int(os.environ["OBJECTS_PER_TENANT"])):
                k8s.core.v1.ConfigMap(f"{name}/cm{index}", metadata={"name": f"cm{index}", "namespace": name},
                                      data={"k": "v"}, opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    for i in range(int(os.environ["TENANTS"])):
        Tenant(f"team-{i:04d}")
    """
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
            sdk_main = root / "sdk_only.py"
            sdk_main.write_text(SDK_ONLY)
            per_tenant = objects // size
            sdk = run(
                [sys.executable, "-c", "import sys; from pathlib import Path; from clusterstack import _sdk; "
                 "_sdk.run_program(Path(sys.argv[1]), project='bench', stack='bench', config={})", str(sdk_main)],
                env={**os.environ, "TENANTS": str(size), "OBJECTS_PER_TENANT": str(per_tenant)},
            )
            rows.append((size, objects, render, first, up, again, sdk))
    header = f"{'namespaces':>10} {'objects':>8} | {'render s':>8} {'preview s':>9} {'up s':>7} {'no-op s':>8} | {'peak RSS MiB':>12} | {'SDK mocks alone s':>17}"
    print(header)
    print("-" * len(header))
    for size, objects, render, first, up, again, sdk in rows:
        peak = max(render[1], first[1], up[1], again[1])
        print(f"{size:>10} {objects:>8} | {render[0]:>8.1f} {first[0]:>9.1f} {up[0]:>7.1f} {again[0]:>8.1f} | {peak:>12.0f} | {sdk[0]:>17.1f}")
    print(f"\n{os.cpu_count()} CPUs; Python {sys.version.split()[0]}. 'SDK mocks alone' registers the same number of resources "
          "(one component per namespace and its objects) from a trivial program under the same mock runtime.")


if __name__ == "__main__":
    main()
