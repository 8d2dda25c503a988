"""Issue 23's table: the embedded engine at 1,000 and 10,000 tenant namespaces, in multiples of R.

R is starting Python and importing pulumi and pulumi_kubernetes (``python -c "import pulumi,
pulumi_kubernetes"``), measured in this same run, so a figure says how far a command is from the
floor every Python Pulumi program pays, on whatever machine and load it ran. Each namespace is the
issue's tenant: labels, restricted Pod Security, a 4-key quota, a container LimitRange, default deny
with DNS and same-namespace policies (6 objects; the stack adds NodeLocal DNSCache's 5), written out
without YAML anchors as a platform team keeps it (6 MB at 10,000). Every command runs in a fresh
process, ``--runs`` times; a figure is the median wall-clock seconds (CPU seconds beside it, which a
busy machine disturbs less) and the highest peak RSS of the runs, from the kernel's accounting of
that one child (``wait4``). The commands, each measured at every size in turn (a round runs it once
at each size, so a machine slowing down over minutes weighs on every size alike rather than on the one
measured last):

- preview, no cache: ``preview --no-cache`` with no state (the program runs, every object is a create);
- ``up`` into an empty target: ``up --yes --no-cache``, state and target moved aside (not deleted: see ``clear``) before each run
  (default layout: one file per object and a kustomization);
- cached no-op preview: ``preview --detailed-exitcode`` after the ``up``, once a preview filled the
  cache (must print "No changes." and exit 0);
- no-change ``up``: ``up --yes`` after that (the cache warm, nothing to apply);

(the two no-change commands at least ``NO_CHANGE_RUNS`` times each, unless ``--runs 1``: they take a
tenth of a second, too little for a few runs to measure their growth);

and the dev preview: ``preview -s dev --no-cache`` of the shipped project with an empty state
directory. Growth is the ratio of the cost per namespace at the large size to that at the small
one, each cost with the same command's cost on a stack of no namespaces taken off (what a process
pays whatever the size, measured the same way): 1.00 is linear.

A run deletes its projects at its end (some 330,000 files at 1,000 and 10,000 namespaces) and records
when (``deletion_record``); the next run within ``RECENTLY_DELETED`` seconds of that waits the rest out
first, since creating files soon after many were deleted is slow on this machine's file system, and
says so in its report (``--no-wait`` goes on at once, and says that).

    .venv/bin/python bench/scale.py [--sizes 1000,10000] [--runs 3] [--timeout 300] [--quick] [--no-wait] [--commands cached,noop-up]

``--commands`` times only the commands named (``dev``, ``preview``, ``up``, ``cached``, ``noop-up``);
the others are "not run" (the ``up`` the no-change commands need still runs, untimed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from preview import TENANT, compile_package

REPO = Path(__file__).resolve().parent.parent
# The quota of "Configure Memory and CPU Quotas for a Namespace": the four compute keys.
QUOTA = {"requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8", "limits.memory": "16Gi"}
ISSUE_TENANT = {**TENANT, "quota": QUOTA}
IMPORTS = "import pulumi, pulumi_kubernetes"
SETUP_TIMEOUT = 3600.0
"""Seconds an untimed step (the ``up`` the no-change figures need, filling the cache) may take."""
NO_CHANGE_RUNS = 15
"""Runs of each no-change command (cached no-op preview, no-change ``up``) whenever ``--runs`` is above 1."""
COMMANDS = ("dev", "preview", "up", "cached", "noop-up")
RECENTLY_DELETED = 360.0
"""Seconds ext4 without a journal (this machine's root file system) keeps from reusing a freed inode:
``RECENTCY_MIN``, 60 s, plus ``RECENTCY_DIRTY``, 300 s, while the block of the inode table is not yet
written back (fs/ext4/ialloc.c, ``recently_deleted``). Every file created meanwhile checks the freed
inodes on its way: an ``up`` of 60,000 files took 18-22 s within a minute of the previous run's
clean-up, 13-16 s five minutes or more after it."""
MASS_DELETION = 10_000
"""Files whose deletion the next run waits out (``RECENTLY_DELETED``); a run at 1,000 and 10,000
namespaces deletes some 330,000 at its end (--runs 5)."""


@dataclass(frozen=True)
class Sample:
    """One run of one command in a fresh process."""

    seconds: float
    cpu: float
    """User and system CPU seconds of the process and what it waited for."""
    rss: float
    """Peak resident set size, MiB."""
    output: str
    exit_code: int
    timed_out: bool


def run_once(argv: Sequence[str], env: dict[str, str], timeout: float) -> Sample:
    """``argv`` in a fresh process with its own resource usage; killed after ``timeout`` seconds."""
    done = threading.Lock()
    finished = False

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)

        def kill() -> None:
            # The child is waited for without being reaped (WNOWAIT) until `finished` is set, so the
            # pid cannot have been given to another process when this kills it.
            with done:
                if not finished:
                    os.kill(process.pid, 9)

        timer = threading.Timer(timeout, kill)
        timer.start()
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        seconds = time.perf_counter() - start
        with done:
            finished = True
        timer.cancel()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read().decode(), err.read().decode()
    timed_out = process.returncode == -9
    if not timed_out and process.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{errors[-3000:]}")
    # Linux reports ru_maxrss in KiB.
    return Sample(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output, process.returncode, timed_out)


@dataclass(frozen=True)
class Figure:
    """The runs of one command: median seconds and CPU, highest peak RSS; None seconds when one timed out."""

    samples: tuple[Sample, ...]
    timeout: float

    @property
    def timed_out(self) -> bool:
        return any(s.timed_out for s in self.samples)

    @property
    def seconds(self) -> float | None:
        return None if self.timed_out else statistics.median(s.seconds for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.rss for s in self.samples)


def measure(runs: int, argv: Sequence[str], env: dict[str, str], timeout: float, before: Callable[[], None] | None = None) -> Figure:
    """``runs`` fresh runs of ``argv``; ``before`` (a callable) runs untimed before each. Stops at the
    first run that times out (the rest would too, and a partial ``up`` leaves nothing to compare)."""
    return _rounds(runs, {0: list(argv)}, env, timeout, None if before is None else lambda _: before())[0]


@dataclass(frozen=True)
class SizeFigures:
    namespaces: int
    preview: Figure | None
    up: Figure | None
    cached_noop: Figure | None
    noop_up: Figure | None
    """None when no ``up`` finished even untimed (there is no applied state to find unchanged), or when ``--commands`` leaves both out."""


def clear(root: Path) -> None:
    """State (with its cache) and target gone: the next ``up`` starts from nothing.

    They are moved aside (into ``<scratch>/cleared``, deleted once everything is measured), not
    deleted: on ext4 without a journal (this machine's root file system), the kernel will not reuse an
    inode freed in the last minutes and checks the recently freed ones on every create
    (``ext4_create`` -> ``find_inode_bit`` -> ``recently_deleted`` was 60-90% of an ``up`` in
    ``perf``), so creating 60,000 files right after deleting 60,000 took 25-30 s of kernel time
    instead of 2-5, whatever the program. A first ``up`` into an empty target follows no such
    deletion; the bench measures that, not its own clean-up."""
    for directory in (root / ".clusterstack", root / "deploy"):
        set_aside(directory, root.parent)


def set_aside(path: Path, scratch: Path) -> None:
    """``path`` moved into ``scratch/cleared``, which goes with the scratch directory at the end."""
    if path.exists():
        aside = scratch / "cleared" / str(time.monotonic_ns())
        aside.mkdir(parents=True)
        path.rename(aside / path.name)


def make_project(scratch: Path, namespaces: int, env: dict[str, str]) -> Path:
    """The project of ``namespaces`` tenants, generated in a child: a process starts with its parent's
    peak RSS as its own (it begins in the parent's memory, and Linux keeps the peak across exec), and
    generating 10,000 namespaces here would make the bench's about 165 MiB, the floor of every figure
    measured after it."""
    root = scratch / f"n{namespaces}"
    made = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); from pathlib import Path; "
        "from preview import make_project; from scale import ISSUE_TENANT; "
        f"make_project(Path({str(root)!r}), {namespaces}, tenant=ISSUE_TENANT, written_out=True)"
    )
    subprocess.run([sys.executable, "-c", made], check=True, env=env, timeout=SETUP_TIMEOUT)
    return root


def measure_sizes(
    roots: dict[int, Path], runs: int, env: dict[str, str], timeout: float, commands: Sequence[str] = COMMANDS
) -> tuple[dict[int, SizeFigures], dict[int, Path]]:
    """Every size's figures, each command measured at every size in turn (``measure_rounds``); and the
    projects the no-change commands can be measured on (applied, their cache filled)."""
    previews: dict[int, Figure] = {}
    ups: dict[int, Figure] = {}
    if "preview" in commands:
        previews = measure_rounds(runs, {size: [*_command(root), "preview", "-s", "bench", "--no-cache"] for size, root in roots.items()}, env, timeout, roots)
        for figure in previews.values():
            _expect(figure, "to add", "preview")
    if "up" in commands:
        ups = measure_rounds(runs, {size: [*_command(root), "up", "-s", "bench", "--yes", "--no-cache"] for size, root in roots.items()}, env, timeout, roots)
    figures = {size: SizeFigures(size, previews.get(size), ups.get(size), None, None) for size in roots}
    ready: dict[int, Path] = {}
    if "cached" not in commands and "noop-up" not in commands:
        return figures, ready
    for size, root in roots.items():
        up = ups.get(size)
        if up is None or up.timed_out:  # the no-change figures still need an applied state: one up, given all the time it takes
            clear(root)
            if run_once([*_command(root), "up", "-s", "bench", "--yes", "--no-cache"], env, SETUP_TIMEOUT).timed_out:
                continue
        run_once([*_command(root), "preview", "-s", "bench"], env, SETUP_TIMEOUT)  # fills the cache
        ready[size] = root
    return figures, ready


def deletion_record() -> Path:
    """Where a run records its mass deletion for the next run to wait out: the user's cache directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "clusterstack-bench" / "deleted.json"


def delete_scratch(scratch: Path, record: Path) -> int:
    """The scratch directory deleted; how many files and directories went, recorded in ``record`` (with
    when) if that is a mass deletion the next run should wait out."""
    count = sum(len(directories) + len(files) for _, directories, files in os.walk(scratch))
    shutil.rmtree(scratch)
    if count >= MASS_DELETION:
        record.parent.mkdir(parents=True, exist_ok=True)
        written = record.with_name(f".{record.name}.{os.getpid()}")
        written.write_text(json.dumps({"files": count, "at": time.time()}))
        written.replace(record)
    return count


def wait_out_deletion(record: Path, wait: bool, now: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> str:
    """If a run deleted many files less than ``RECENTLY_DELETED`` seconds ago, sleep the rest of that
    time first (or, not to ``wait``, go on and say so); what happened, for the report, or "" when no
    recent mass deletion is recorded."""
    try:
        recorded = json.loads(record.read_text())
        files, at = int(recorded["files"]), float(recorded["at"])
    except (OSError, ValueError, TypeError, KeyError):
        return ""
    since = now() - at
    if not 0 <= since < RECENTLY_DELETED:
        return ""
    what = f"a previous run deleted {files:,} files {since:.0f} s before this one began"
    if not wait:
        return f"{what}, and this one did not wait (--no-wait): its `up` figures may include the file system's checks of recently freed inodes"
    rest = RECENTLY_DELETED - since
    print(f"{time.strftime('%H:%M:%S')} waiting {rest:.0f} s first: {what} (see RECENTLY_DELETED; --no-wait not to)", file=sys.stderr, flush=True)
    sleep(rest)
    return f"{what}, so it waited {rest:.0f} s first (`RECENTLY_DELETED`)"


def _command(root: Path) -> list[str]:
    return [sys.executable, "-m", "clusterstack", "--project-dir", str(root)]


def measure_no_change(
    ready: dict[int, Path], runs: int, env: dict[str, str], timeout: float, commands: Sequence[str]
) -> dict[int, tuple[Figure | None, Figure | None]]:
    """The cached no-op preview's and the no-change ``up``'s figures of each size whose project is
    ready: at least ``NO_CHANGE_RUNS`` runs (unless ``--runs 1``: they take a tenth of a second, too
    little for a few runs to measure their growth), the sizes taken in turn, so that a machine slowing
    down over minutes weighs on every size alike rather than on the one measured last."""
    steady = max(runs, NO_CHANGE_RUNS) if runs > 1 else runs
    cached: dict[int, Figure] = {}
    noop_up: dict[int, Figure] = {}
    if "cached" in commands:
        previews = {size: [*_command(root), "preview", "-s", "bench", "--detailed-exitcode"] for size, root in ready.items()}
        cached = measure_rounds(steady, previews, env, timeout)
        for figure in cached.values():
            _expect(figure, "No changes.", "cached no-op preview", exit_code=0)
    if "noop-up" in commands:
        noop_up = measure_rounds(steady, {size: [*_command(root), "up", "-s", "bench", "--yes"] for size, root in ready.items()}, env, timeout)
        for figure in noop_up.values():
            _expect(figure, "No changes.", "no-change up")
    return {size: (cached.get(size), noop_up.get(size)) for size in ready}


def measure_rounds(runs: int, argvs: dict[int, list[str]], env: dict[str, str], timeout: float, cleared: dict[int, Path] | None = None) -> dict[int, Figure]:
    """``runs`` rounds, each running every command of ``argvs`` once, in turn: a figure per key. With
    ``cleared``, that key's project is cleared (``clear``) before each of its runs. A key whose run
    timed out is not run again (the rest would time out too, and a partial ``up`` leaves nothing to compare)."""
    return _rounds(runs, argvs, env, timeout, None if cleared is None else lambda key: clear(cleared[key]))


def _rounds(runs: int, argvs: dict[int, list[str]], env: dict[str, str], timeout: float, before: Callable[[int], None] | None) -> dict[int, Figure]:
    """``measure_rounds`` and ``measure``: ``before(key)`` runs untimed before each run of that key."""
    samples: dict[int, list[Sample]] = {key: [] for key in argvs}
    in_turn = " (in turn with the other sizes)" if len(argvs) > 1 else ""
    for argv in argvs.values():
        print(f"{time.strftime('%H:%M:%S')} {' '.join(argv[2:])}{in_turn}", file=sys.stderr, flush=True)  # progress: a 10k run is long
    for _ in range(runs):
        for key, argv in argvs.items():
            if samples[key] and samples[key][-1].timed_out:
                continue
            if before is not None:
                before(key)
            samples[key].append(run_once(argv, env, timeout))
    return {key: Figure(tuple(taken), timeout) for key, taken in samples.items()}


def _expect(figure: Figure, text: str, what: str, exit_code: int | None = None) -> None:
    """A figure counts only if the command did what it is named for."""
    for sample in figure.samples:
        if sample.timed_out:
            continue
        if text not in sample.output or (exit_code is not None and sample.exit_code != exit_code):
            raise SystemExit(f"the {what} did not print {text!r} (exit {sample.exit_code}):\n{sample.output[-1000:]}")


@dataclass(frozen=True)
class Floor:
    """R: wall-clock seconds, and CPU seconds (what a figure's CPU time is compared with)."""

    seconds: float
    cpu: float


def in_r(figure: Figure | None, r: Floor) -> str:
    if figure is None:
        return "not run"
    seconds = figure.seconds
    if seconds is None:
        return f"> {figure.timeout:g} s (timed out), {figure.rss:.0f} MiB"
    return f"{seconds:.2f} s = {seconds / r.seconds:.1f} R (CPU {figure.cpu:.2f} s = {figure.cpu / r.cpu:.1f} R), {figure.rss:.0f} MiB"


def growth(base: Figure | None, small: Figure | None, large: Figure | None, sizes: tuple[int, int], *, cpu: bool = False) -> float | str:
    """Cost per namespace at the large size over that at the small one, the cost at no namespaces
    taken off each, in wall-clock or CPU seconds; or why there is no ratio. CPU time is what a busy
    machine disturbs least: the wall-clock cost of the empty stack can exceed that of 1,000
    namespaces measured a minute later."""
    if base is None or small is None or large is None:
        return "not run"
    if base.seconds is None or small.seconds is None or large.seconds is None:
        return "timed out"
    low, middle, high = (base.cpu, small.cpu, large.cpu) if cpu else (base.seconds, small.seconds, large.seconds)
    if min(middle, high) <= low:
        return "within noise"
    return ((high - low) / sizes[1]) / ((middle - low) / sizes[0])


def table(r: Floor, dev: Figure | None, figures: dict[int, SizeFigures], sizes: tuple[int, int], quick: bool) -> list[str]:
    small, large = sizes
    base = figures.get(0)
    lows = figures.get(small)
    highs = figures.get(large)
    missing = "not run (--quick)" if quick else "not run"

    def time_row(label: str, figure: Figure | None, most_r: float, most_rss: float | None = None) -> str:
        target = f"≤ {most_r:g} R" + (f", ≤ {most_rss:.0f} MiB" if most_rss is not None else "")
        if figure is None:
            return f"| {label} | {missing} | {target} | - |"
        seconds = figure.seconds
        met = seconds is not None and seconds <= most_r * r.seconds and (most_rss is None or figure.rss <= most_rss)
        return f"| {label} | {in_r(figure, r)} | {target} | {'yes' if met else 'no'} |"

    def pick(size_figures: SizeFigures | None, name: str) -> Figure | None:
        figure: Figure | None = getattr(size_figures, name) if size_figures is not None else None
        return figure

    def growth_row(command: str, name: str) -> str:
        label = f"growth {small:,} → {large:,} ns, {command}"
        target = "≤ 1.15 per namespace (linear within 15%)"
        if quick and highs is None:
            return f"| {label} | {missing} | {target} | - |"
        ratios = [growth(pick(base, name), pick(lows, name), pick(highs, name), sizes, cpu=cpu) for cpu in (False, True)]
        wall, cpu = (f"{x:.2f}" if isinstance(x, float) else x for x in ratios)
        measured = [x for x in ratios if isinstance(x, float)]
        met = "-" if not measured else ("yes" if all(x <= 1.15 for x in measured) else "no")
        return f"| {label} | wall {wall}, CPU {cpu} | {target} | {met} |"

    return [
        "| | measured | target | met |",
        "| --- | --- | --- | --- |",
        time_row("dev preview, no cache", dev, 2.5),
        time_row(f"{small:,} ns preview, no cache", pick(lows, "preview"), 5),
        time_row(f"{large:,} ns preview, no cache", pick(highs, "preview"), 40, 600),
        time_row(f"{large:,} ns `up` into an empty target (default layout)", pick(highs, "up"), 80),
        time_row(f"{large:,} ns no-change `up`", pick(highs, "noop_up"), 10),
        time_row(f"{large:,} ns cached no-op preview", pick(highs, "cached_noop"), 8),
        growth_row("preview, no cache", "preview"),
        growth_row("`up` into an empty target", "up"),
        growth_row("no-change `up`", "noop_up"),
        growth_row("cached no-op preview", "cached_noop"),
    ]


def details(figures: dict[int, SizeFigures], r: Floor) -> list[str]:
    """Every measured figure, both sizes, with each run's seconds."""
    lines = ["| namespaces | command | median | runs (s) |", "| --- | --- | --- | --- |"]
    for size, size_figures in sorted(figures.items()):
        for name, figure in (
            ("preview, no cache", size_figures.preview),
            ("`up` into an empty target", size_figures.up),
            ("cached no-op preview", size_figures.cached_noop),
            ("no-change `up`", size_figures.noop_up),
        ):
            runs = "not run" if figure is None else ", ".join(f"{s.seconds:.2f}" + (" (timed out)" if s.timed_out else "") for s in figure.samples)
            lines.append(f"| {size:,} | {name} | {in_r(figure, r)} | {runs} |")
    return lines


def parse_sizes(text: str, quick: bool) -> tuple[int, int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise SystemExit(f"--sizes {text!r}: give two namespace counts, small and large, e.g. 1000,10000") from None
    if quick and len(sizes) == 1:
        sizes.append(sizes[0] * 10)  # named in the table's labels, not run
    if len(sizes) != 2 or not 0 < sizes[0] < sizes[1]:
        raise SystemExit(f"--sizes {text!r}: give two namespace counts, small and large, e.g. 1000,10000")
    return sizes[0], sizes[1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="the small and the large namespace count (default 1000,10000)")
    parser.add_argument("--runs", type=int, help="fresh runs of each command; the figure is their median (default 3, 1 with --quick)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before one run of a command is killed and reported as timed out (default 300)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: the small size only, one run (unless --runs is given)")
    parser.add_argument(
        "--no-wait", dest="wait", action="store_false", help="do not first wait out a previous run's mass deletion (see RECENTLY_DELETED); the report says so"
    )
    parser.add_argument("--commands", default=",".join(COMMANDS), help=f"the commands to time, of {', '.join(COMMANDS)} (default all)")
    arguments = parser.parse_args(argv)
    commands = [name for name in arguments.commands.split(",") if name]
    if not commands or any(name not in COMMANDS for name in commands):
        raise SystemExit(f"--commands {arguments.commands!r}: name some of {', '.join(COMMANDS)}")
    quick: bool = arguments.quick
    sizes = parse_sizes(arguments.sizes, quick)
    runs: int = arguments.runs if arguments.runs is not None else (1 if quick else 3)
    if runs < 1:
        raise SystemExit("--runs: at least 1")
    timeout: float = arguments.timeout
    # The engine's own settings would change what is measured (another evaluation path, cache or state).
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLUSTERSTACK_")}
    python = [sys.executable, "-c", IMPORTS]
    compiled = compile_package(sys.executable)
    waited = wait_out_deletion(deletion_record(), wait=arguments.wait)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    scratch = Path(tempfile.mkdtemp(prefix="clusterstack-scale-"))
    try:
        r_before = measure(runs, python, env, timeout)
        dev_state = scratch / "dev-state"
        dev = None
        if "dev" in commands:
            dev = measure(
                runs,
                [sys.executable, "-m", "clusterstack", "--project-dir", str(REPO), "--state-dir", str(dev_state), "preview", "-s", "dev", "--no-cache"],
                env,
                timeout,
                lambda: shutil.rmtree(dev_state, ignore_errors=True),
            )
        roots = {size: make_project(scratch, size, env) for size in ((0, sizes[0]) if quick else (0, *sizes))}
        figures, ready = measure_sizes(roots, runs, env, timeout, commands)
        for size, (cached, noop_up) in measure_no_change(ready, runs, env, timeout, commands).items():
            figures[size] = dataclasses.replace(figures[size], cached_noop=cached, noop_up=noop_up)
        r_after = measure(runs, python, env, timeout)
    finally:
        delete_scratch(scratch, deletion_record())

    before, after = r_before.seconds, r_after.seconds
    if before is None or after is None:
        raise SystemExit(f"importing pulumi took more than {timeout:.0f} s: no R to measure against")
    samples = (*r_before.samples, *r_after.samples)
    r = Floor(statistics.median(s.seconds for s in samples), statistics.median(s.cpu for s in samples))
    print(
        f"R = {r.seconds:.3f} s (CPU {r.cpu:.3f} s): a fresh `python -c \"{IMPORTS}\"`, median of {runs} runs at the start "
        f"({before:.3f} s) and {runs} at the end ({after:.3f} s) of this run. A figure's CPU time is compared with R's CPU time."
    )
    print()
    print("\n".join(table(r, dev, figures, sizes, quick)))
    print()
    print("\n".join(details(figures, r)))
    print()
    print(
        f"{started}; {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end; Python "
        f"{sys.version.split()[0]}; each figure the median of {runs} fresh processes "
        f"({f'the no-change commands {max(runs, NO_CHANGE_RUNS)}; ' if runs > 1 else ''}CPU: user + system seconds), "
        "RSS the highest peak of those runs; every command measured at every size in turn; growth: seconds per namespace, less the same "
        f"command at 0 namespaces, large over small (met when every ratio measured is). The package's bytecode was compiled first, as an "
        f"install does ({compiled}).{f' Before it began, {waited}.' if waited else ''}"
    )


if __name__ == "__main__":
    main()
