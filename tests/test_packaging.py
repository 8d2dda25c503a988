"""The package as a user installs it: the built wheel, in a fresh virtual environment, imports as
``clusterstack.components`` beside a project's own ``components`` package, and type-checks: every
Python program in the README passes ``mypy --strict`` against it."""

from __future__ import annotations

import re
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(*argv: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, argv))}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the built wheel (and, through a .pth line, the
    dependencies this environment already has: no network)."""
    scratch = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", scratch / "dist", REPO)
    [wheel] = (scratch / "dist").glob("clusterstack-*.whl")
    venv = scratch / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    packages = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (packages / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", packages, wheel)
    return python


def test_the_wheel_holds_the_library_under_clusterstack_only(installed: Path):
    packages = Path(_run(installed, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    assert (packages / "clusterstack" / "components" / "tenant.py").is_file()
    assert (packages / "clusterstack" / "components" / "py.typed").is_file()
    assert (packages / "clusterstack" / "py.typed").is_file()
    assert not (packages / "components").exists()


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
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)
    return [block for block in blocks if "from clusterstack" in block]


def test_the_readme_has_programs_to_check():
    assert len(_readme_programs()) >= 2


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
