"""Benchmark the embedded engine on generated stacks of 10, 100, 1,000 and 3,000 tenant namespaces.

Each namespace has a quota, a limit range and network policies (default deny, DNS, same namespace),
as a production tenant would, and the cluster runs NodeLocal DNSCache. For each size, every command
runs in a fresh process, one after the other, and this prints seconds and peak RSS:

- render, preview, up: the first of each, with ``--no-cache`` (the program runs); and an up after a
  preview on a fresh copy (the usual sequence: the preview caches the evaluation the up reuses);
- preview (SDK): the first preview again on the Pulumi SDK's own evaluation path
  (``CLUSTERSTACK_EVAL=sdk``), for comparison in the same run;
- no-op preview / no-change up: after the up, without the cache (``--no-cache``) and with it;
- without SDK: validating the stack and building every object with the pure builders, in-process
  (what a preview would cost if evaluating the program were free);
- the consumer's side: ``kubectl kustomize`` of the default (one file per object) directory, and
  kubectl reading the namespace-layout directory as plain manifests (``kubectl label --local -R -f``,
  which parses every file with the resource builder ``kubectl apply -R -f`` uses, without a cluster).

Then the start-up figures: ``clusterstack --help`` and a preview of the shipped dev stack, cold and
cached; and the targets of issue 12 against what was measured.

    .venv/bin/python bench/preview.py [--sizes 10,100,1000,3000] [--kustomize-timeout 120] [--no-sdk]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Run:
    seconds: float
    rss: float
    """Peak resident set size, MiB."""
    output: str


def run(argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Run | None:
    """One command in a fresh process: seconds and output; None when it ran out of time."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    seconds = time.perf_counter() - start
    if process.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{stderr}")
    return Run(seconds, 0.0, stdout)


TIME = Path("/usr/bin/time")


def measured(argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Run | None:
    """Like run, with the command's own peak RSS (GNU time's %M; 0 where there is no /usr/bin/time)."""
    if not TIME.exists():
        return run(argv, env, timeout)
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        result = run([str(TIME), "-f", "%M", "-o", rss.name, *argv], env, timeout)
        if result is None:
            return None
        kib = rss.read().strip().splitlines()[-1]
        return Run(result.seconds, int(kib) / 1024, result.output)


class _WrittenOut(yaml.SafeDumper):
    """Writes a value shared by several tenants out in full each time, as a person would, instead of
    an anchor and aliases (the honest file whose size the stack-file limits must admit)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def compile_package(python: str) -> str:
    """Compile the bytecode of the clusterstack that ``python`` imports, where it imports it from, as
    ``pip install`` does for a wheel (and an editable install does on its first run). Without it, a
    shell with ``PYTHONDONTWRITEBYTECODE`` set (or a read-only checkout) measures every command
    compiling the package from source, about 0.1 s a process, which no installed copy pays. Returns
    the directory compiled."""
    where = subprocess.run(
        [python, "-c", "import clusterstack, os; print(os.path.dirname(clusterstack.__file__))"], capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", where], check=True, stdout=subprocess.DEVNULL)
    return where


def make_project(
    root: Path, size: int, target: dict[str, object] | None = None, *, tenant: Mapping[str, object] = TENANT, written_out: bool = False
) -> None:
    """A project of ``size`` tenants like ``tenant`` and NodeLocal DNSCache; ``written_out``: without
    YAML anchors (one alias per tenant keeps the file small, but is not how a large stack is kept)."""
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    (root / "stacks" / "common.yaml").write_text(yaml.safe_dump({"config": {"kubernetes:context": "bench"}}))
    namespaces = {f"team-{i:04d}": tenant for i in range(size)}
    config: dict[str, object] = {"clusterstack:namespaces": namespaces, "clusterstack:dns": {"nodeLocal": {}}}
    if target:
        config["clusterstack:target"] = target
    dumper = _WrittenOut if written_out else yaml.SafeDumper
    (root / "stacks" / "Pulumi.bench.yaml").write_text(yaml.dump({"config": config}, Dumper=dumper))


def fmt(value: Run | float | None, timeout: float | None = None) -> str:
    if value is None:
        return f">{timeout:.0f}" if timeout else "-"
    seconds = value.seconds if isinstance(value, Run) else value
    return f"{seconds:.2f}"


def median_of(times: int, argv: list[str], env: dict[str, str] | None = None) -> Run:
    runs = [r for r in (measured(argv, env) for _ in range(times)) if r is not None]
    middle = statistics.median(r.seconds for r in runs)
    return Run(middle, max(r.rss for r in runs), runs[-1].output)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,3000", help="namespace counts, comma-separated")
    parser.add_argument("--kustomize-timeout", type=float, default=120, help="seconds to give kubectl kustomize before giving up")
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK-path comparison (slow at 3,000)")
    arguments = parser.parse_args()
    sizes = [int(s) for s in arguments.sizes.split(",")]
    cli = [sys.executable, "-m", "clusterstack"]
    environment = {k: v for k, v in os.environ.items() if k not in ("CLUSTERSTACK_EVAL", "CLUSTERSTACK_CACHE_DIR", "CLUSTERSTACK_STATE_DIR")}
    sdk_environment = {**environment, "CLUSTERSTACK_EVAL": "sdk"}
    kubectl = shutil.which("kubectl")
    compile_package(sys.executable)
    rows = []
    with tempfile.TemporaryDirectory(prefix="clusterstack-bench-") as scratch:
        for size in sizes:
            root = Path(scratch) / f"n{size}"
            make_project(root, size)
            base = [*cli, "--project-dir", str(root)]
            render = measured([*base, "render", "-s", "bench", "--no-cache"], environment)
            assert render is not None
            objects = render.output.count("\nkind: ") + render.output.startswith("kind: ")
            first = measured([*base, "preview", "-s", "bench", "--no-cache"], environment)
            sdk = None if arguments.no_sdk else measured([*base, "preview", "-s", "bench", "--no-cache"], sdk_environment)
            up = measured([*base, "up", "-s", "bench", "--yes", "--no-cache"], environment)
            noop = measured([*base, "preview", "-s", "bench", "--detailed-exitcode", "--no-cache"], environment)
            assert noop is not None
            assert noop.output.strip().endswith("No changes."), noop.output[-300:]
            measured([*base, "preview", "-s", "bench"], environment)  # fills the cache
            noop_cached = measured([*base, "preview", "-s", "bench", "--detailed-exitcode"], environment)
            again_up = measured([*base, "up", "-s", "bench", "--yes"], environment)
            # The usual sequence on a fresh copy: preview (which caches the evaluation), then up.
            warm = Path(scratch) / f"n{size}-warm"
            make_project(warm, size)
            measured([*cli, "--project-dir", str(warm), "preview", "-s", "bench"], environment)
            up_warm = measured([*cli, "--project-dir", str(warm), "up", "-s", "bench", "--yes"], environment)
            shutil.rmtree(warm)
            pure = run([sys.executable, "-c", PURE_BUILD, str(root)], environment)
            assert pure is not None
            built, pure_seconds = pure.output.split()
            assert int(built) == objects, (built, objects)
            kustomize = plain = None
            if kubectl:
                kustomize = run([kubectl, "kustomize", str(root / "deploy" / "bench")], environment, arguments.kustomize_timeout)
                gitops = Path(scratch) / f"n{size}-namespace-layout"
                make_project(gitops, size, {"layout": "namespace", "kustomization": False})
                run([*cli, "--project-dir", str(gitops), "up", "-s", "bench", "--yes"], environment)
                directory = str(gitops / "deploy" / "bench")
                plain = run([kubectl, "label", "--local", "-R", "-f", directory, "clusterstack.io/bench=read", "-o", "name"], environment)
                assert plain is not None
                assert plain.output.count("\n") == objects, plain.output[-300:]
                shutil.rmtree(gitops)
            commands = [c for c in (render, first, up, noop, noop_cached, again_up, up_warm) if c is not None]
            peak = max(c.rss for c in commands)
            rows.append((size, objects, render, first, sdk, up, up_warm, noop, noop_cached, again_up, peak, float(pure_seconds), kustomize, plain))
            shutil.rmtree(root)

        dev = [*cli, "--project-dir", str(REPO), "--state-dir", str(Path(scratch) / "dev-state")]
        help_run = median_of(5, [*cli, "--help"], environment)
        dev_cold = median_of(3, [*dev, "preview", "-s", "dev", "--no-cache"], environment)
        measured([*dev, "preview", "-s", "dev"], environment)
        dev_cached = median_of(3, [*dev, "preview", "-s", "dev"], environment)

    header = (
        f"{'namespaces':>10} {'objects':>7} | {'render':>6} {'preview':>7} {'up':>6} {'up*':>6} | {'no-op preview':>13} {'cached':>6} "
        f"{'no-change up':>12} | {'RSS MiB':>7} | {'SDK preview':>11} {'RSS MiB':>7} | {'no SDK':>6} | {'kustomize':>9} {'plain read':>10}"
    )
    print(header)
    print("-" * len(header))
    for size, objects, render, first, sdk, up, up_warm, noop, cached, again, rss, floor, kustomize, plain in rows:
        print(
            f"{size:>10} {objects:>7} | {fmt(render):>6} {fmt(first):>7} {fmt(up):>6} {fmt(up_warm):>6} | {fmt(noop):>13} {fmt(cached):>6} "
            f"{fmt(again):>12} | {rss:>7.0f} | {fmt(sdk):>11} {(sdk.rss if sdk else 0):>7.0f} | {floor:>6.2f} | "
            f"{fmt(kustomize, arguments.kustomize_timeout):>9} {fmt(plain):>10}"
        )
    print(
        f"\nclusterstack --help: {help_run.seconds:.2f} s (median of 5); preview -s dev: {dev_cold.seconds:.2f} s cold (--no-cache), "
        f"{dev_cached.seconds:.2f} s cached (medians of 3)."
    )
    print(
        f"\n{os.cpu_count()} CPUs; Python {sys.version.split()[0]}. Seconds, each command in a fresh process (interpreter start "
        "included). render/preview/up: the first, --no-cache; up*: the first up after a preview, which cached the evaluation; "
        "RSS: the peak of those commands; SDK preview: the first preview on the SDK's own evaluation path, and its RSS; "
        "cached: the no-op preview once the evaluation is cached; no SDK: validating and building every object with the pure "
        "builders, in-process; kustomize: kubectl kustomize of the default layout; plain read: kubectl reading the namespace "
        "layout without a kustomization."
    )
    by_size = {row[0]: row for row in rows}
    if 1000 in by_size:
        _, _, _, first, _, up, up_warm, noop, cached, _, peak_rss, _, kustomize, plain = by_size[1000]
        targets = [
            ("1,000 namespaces: preview <= 2 s", first.seconds if first else None, 2.0),
            ("1,000 namespaces: no-op preview <= 2 s (no cache)", noop.seconds if noop else None, 2.0),
            ("1,000 namespaces: no-op preview <= 2 s (cached)", cached.seconds if cached else None, 2.0),
            ("1,000 namespaces: up <= 4 s (no cache)", up.seconds if up else None, 4.0),
            ("1,000 namespaces: up <= 4 s (after a preview)", up_warm.seconds if up_warm else None, 4.0),
            ("1,000 namespaces: peak RSS <= 250 MiB", peak_rss, 250.0),
            ("1,000 namespaces: consumer reads the directory <= 5 s (plain read)", plain.seconds if plain else None, 5.0),
            ("1,000 namespaces: consumer builds the kustomization <= 5 s", kustomize.seconds if kustomize else None, 5.0),
            ("dev preview <= 0.7 s (cold)", dev_cold.seconds, 0.7),
            ("dev preview <= 0.7 s (cached)", dev_cached.seconds, 0.7),
            ("clusterstack --help <= 0.3 s", help_run.seconds, 0.3),
        ]
        print("\nTargets (issue 12):")
        for name, value, limit in targets:
            verdict = "-" if value is None else ("met" if value <= limit else "MISSED")
            print(f"  {name:<70} {'n/a' if value is None else f'{value:.2f}':>8}  {verdict}")
    if 1000 in by_size and 3000 in by_size:
        per = {n: by_size[n][3].seconds / by_size[n][1] * 1000 for n in (1000, 3000) if by_size[n][3] is not None}
        if len(per) == 2:
            print(f"  growth 1,000 -> 3,000 namespaces: {per[1000]:.3f} -> {per[3000]:.3f} ms per object (first preview)")


if __name__ == "__main__":
    main()
