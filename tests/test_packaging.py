"""The package as a user installs it: the built wheel, in a fresh virtual environment, imports as
``clusterstack.components`` beside a project's own ``components`` package, and type-checks: every
Python program in the README and in docs/ passes ``mypy --strict`` against it."""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, argv))}\n{done.stdout}\n{done.stderr}"
    return done


def _tracked_sources() -> list[str]:
    """The files a clone of the repository has: tracked, plus new ones not yet committed (so the test
    also covers a module added in the working tree), never ignored leftovers such as ``build/``."""
    listed = _run("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=REPO).stdout
    return sorted(name for name in listed.split("\0") if name and (REPO / name).exists())


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sources alone, copied (symlinks as symlinks): a wheel built in the checkout
    would also pack whatever an earlier build left in ``build/lib``."""
    copy = tmp_path_factory.mktemp("source")
    for name in _tracked_sources():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    return copy


@pytest.fixture(scope="module")
def wheel(clean_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, clean_copy)
    [built] = dist.glob("clusterstack-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the built wheel and, through a .pth line, the dependencies
    this environment has: exactly the lock's pins (``test_this_environment_is_the_lock`` proves it),
    without a network. The .pth adds their directories as plain paths, so this environment's own
    clusterstack (an editable install, itself a .pth there) is not seen."""
    venv = tmp_path_factory.mktemp("wheel") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    packages = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (packages / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # This environment's pip, installing into the new one as its own would (scripts run its python).
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    return python


def test_the_wheel_holds_every_source_file_and_nothing_else(wheel: Path):
    """Packages are discovered, not listed (pyproject.toml): a sub-package left out of the wheel, such
    as clusterstack/program/_sdk/ once was, fails here before a user's first command does."""
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if not name.startswith("clusterstack-")}
    expected = set()
    for name in _tracked_sources():
        if name.startswith("clusterstack/") and not name.startswith("clusterstack/components"):
            expected.add(name)
        elif name.startswith("components/"):
            expected.add(f"clusterstack/{name}")
    expected = {name for name in expected if name.endswith((".py", "py.typed"))}
    assert shipped == expected


def test_this_environment_is_the_lock():
    """What the installed wheel runs on below is what requirements.lock pins."""
    from importlib.metadata import version

    for name, pinned in _pins(REPO / "requirements.lock").items():
        assert version(name) == pinned, f"{name}: {version(name)} installed, the lock pins {pinned}"


def test_the_wheel_holds_the_library_under_clusterstack_only(installed: Path):
    packages = Path(_run(installed, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    assert (packages / "clusterstack" / "components" / "tenant.py").is_file()
    assert (packages / "clusterstack" / "components" / "py.typed").is_file()
    assert (packages / "clusterstack" / "py.typed").is_file()
    assert not (packages / "components").exists()


def test_the_installed_package_imports_every_module(installed: Path, tmp_path: Path):
    """Every module of the wheel imports from the installed copy (none from the checkout)."""
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import clusterstack
        for module in pkgutil.walk_packages(clusterstack.__path__, "clusterstack."):
            if module.name.startswith("clusterstack.cli.") or module.name == "clusterstack.__main__":
                continue
            imported = importlib.import_module(module.name)
            assert "site-packages" in (imported.__file__ or ""), imported.__file__
        import clusterstack.testing
        print(clusterstack.testing.__file__)
        """
    )
    done = _run(installed, "-c", script, cwd=tmp_path)
    assert "/site-packages/clusterstack/testing.py" in done.stdout


def test_the_installed_cli_runs_every_command_on_the_project(installed: Path, clean_copy: Path, tmp_path: Path):
    """The user's first hour, with the wheel's ``clusterstack`` script on a copy of this project."""
    project = tmp_path / "project"
    shutil.copytree(clean_copy, project, symlinks=True)
    shutil.rmtree(project / "clusterstack")  # the project as a user has it: the engine comes from the wheel
    cli = installed.parent / "clusterstack"
    env = {**os.environ, "CLUSTERSTACK_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("CLUSTERSTACK_EVAL", None)

    def run(*argv: str) -> str:
        return _run(cli, *argv, cwd=project, env=env).stdout

    assert "Plan: " in run("preview", "-s", "dev")
    run("validate", "-s", "dev")
    assert "kind: Namespace" in run("render", "-s", "dev")
    assert "Apply complete" in run("up", "-s", "dev", "--yes")
    assert "No changes" in run("preview", "-s", "dev")
    assert run("state", "list", "-s", "dev")
    run("refresh", "-s", "dev")
    run("diff", "dev", "prod")
    run("reach", "-s", "prod")
    run("capacity", "-s", "prod")
    run("dns", "forecast", "-s", "prod", "--nodes", "10", "--cores", "4")
    run("schema")
    run("stacks")
    run("destroy", "-s", "dev", "--yes", "--allow-namespace-deletion")


def test_a_project_with_its_own_components_package_imports_both(installed: Path, tmp_path: Path):
    project = tmp_path / "project"
    (project / "components").mkdir(parents=True)
    (project / "components" / "__init__.py").write_text("OWN = 'the project own'\n")
    (project / "main.py").write_text(
        textwrap.dedent(
            """
            import clusterstack.components as library
            from components import OWN
            from clusterstack.components import TenantNamespace, TenantNamespaceArgs

            print(OWN)
            print(library.__file__)
            print(TenantNamespaceArgs(pod_security="restricted").pod_security)
            """
        )
    )
    lines = _run(installed, "main.py", cwd=project).stdout.splitlines()
    assert lines[0] == "the project own"
    assert "/site-packages/clusterstack/components/__init__.py" in lines[1]
    assert lines[2].startswith("enforce='restricted'")


def _readme_programs() -> list[str]:
    """The Python programs of the README and of the manual under docs/."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    blocks = [block for page in pages for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)]
    return [block for block in blocks if "from clusterstack" in block]


def test_the_readme_has_programs_to_check():
    assert len(_readme_programs()) >= 4


def test_every_readme_program_passes_mypy_strict(installed: Path, tmp_path: Path):
    """One mypy run over all of them (each takes ~20 s alone: it reads pulumi-kubernetes' types)."""
    programs = []
    for index, text in enumerate(_readme_programs()):
        programs.append(tmp_path / f"readme_program_{index}.py")
        programs[-1].write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(installed), *map(str, programs)],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_the_locks_pin_every_dependency_within_its_bounds(lock: str, extras: tuple[str, ...]):
    """CI installs the lock (hash-checked); it must hold every dependency pyproject names, at a version
    pyproject admits, or a fresh clone would test something else."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    declared = [Requirement(text) for text in requires("clusterstack") or []]  # what pyproject says, as installed
    wanted = [r for r in declared if r.marker is None or any(r.marker.evaluate({"extra": extra}) for extra in extras)]
    pins = _pins(REPO / lock)
    for requirement in wanted:
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{lock} does not pin {name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{lock}: {name}=={pins[name]} is outside {requirement.specifier}"
    assert all("--hash=sha256:" in block for block in (REPO / lock).read_text().split("==")[1:])


_USER_PROGRAM = """
from components import OWN
from clusterstack.components import TenantNamespace, TenantNamespaceArgs

args: TenantNamespaceArgs = TenantNamespaceArgs(pod_security="restricted")
assert args.pod_security is not None
print(OWN, args.pod_security.enforce, TenantNamespace.__module__)
"""


def test_the_readme_install_is_seen_by_mypy_and_leaves_a_users_components_package_alone(tmp_path: Path):
    """This environment was set up by the README's command (editable, strict mode): from a directory
    outside the checkout, mypy --strict resolves clusterstack's types (the import-hook editable install
    it replaced cannot be followed statically), and a project's own top-level ``components`` package is
    the one it imports (a ``compat`` install would put the checkout's ``components/`` on sys.path)."""
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "__init__.py").write_text("OWN = 'own'\n")
    (tmp_path / "program.py").write_text(_USER_PROGRAM)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", sys.executable, "program.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    printed = _run(sys.executable, "program.py", cwd=tmp_path).stdout.split()
    assert printed == ["own", "restricted", "clusterstack.components.tenant"]
