"""pulumi-kubernetes' type modules loaded on first use (clusterstack/program/typeloading.py).

What makes it safe is a fact about pulumi-kubernetes, checked here on every module it ships: its kind
modules name the classes of their version's ``_inputs`` only in string annotations, never when they
run. What keeps it safe is that, once loaded, every module is as a plain import leaves it: each is
compared, name by name, with a process that imported pulumi-kubernetes without the stand-ins. And
each way the difference could be seen before loading (the package's attributes, ``dir``,
``import *``, the SDK resolving annotations on its own path) is tried, in fresh processes.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pulumi_kubernetes
import pytest

from tests.conftest import REPO

PACKAGE = Path(pulumi_kubernetes.__file__).parent
VERSIONS = sorted(path.parent for path in PACKAGE.glob("*/*/_inputs.py"))
"""Every API version pulumi-kubernetes ships with Args classes (``core/v1``, ``apps/v1``, ...)."""


def _all_of(path: Path) -> set[str]:
    """A module's ``__all__``, read from its source without running it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{path} has no __all__")


def _names_run(code: types.CodeType) -> set[str]:
    """Every global or attribute name the code (and the code nested in it) looks up when it runs;
    a string annotation is a constant, not a name."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names_run(constant)
    return names


def test_pulumi_kubernetes_ships_many_versions_with_type_modules():
    assert len(VERSIONS) > 50
    assert PACKAGE / "core" / "v1" in VERSIONS


@pytest.mark.parametrize("version", VERSIONS, ids=lambda path: f"{path.parent.name}.{path.name}")
def test_what_a_version_star_imports_is_capitalised_classes_and_its_package_only_imports(version):
    """A version's package asks its stand-ins for capitalised names only (``module_getattr``): every
    name its kind modules and ``_inputs`` export is one. Its ``__init__`` runs nothing but imports, so
    the names bound late are not used there either."""
    exported = set(_all_of(version / "_inputs.py"))
    for module in sorted(version.glob("[A-Z]*.py")):
        exported |= _all_of(module)
    assert [name for name in exported if not name[:1].isupper()] == []
    statements = ast.parse((version / "__init__.py").read_text()).body
    assert [statement.lineno for statement in statements if not isinstance(statement, (ast.Import, ast.ImportFrom, ast.Expr))] == []


@pytest.mark.parametrize("version", VERSIONS, ids=lambda path: f"{path.parent.name}.{path.name}")
def test_no_kind_module_uses_a_name_of_its_versions_inputs_when_it_runs(version):
    """The premise: the names ``from ._inputs import *`` binds in a kind module (or the version's
    package) are used there only in string annotations, so binding them late changes nothing that
    runs. Nor does anything import the type modules other than as ``import *`` or ``from . import``."""
    inputs = _all_of(version / "_inputs.py")
    for module in sorted(version.glob("*.py")):
        if module.name in ("_inputs.py", "outputs.py"):
            continue
        source = module.read_text()
        used = _names_run(compile(source, str(module), "exec")) & inputs
        assert not used, f"{module} uses {sorted(used)[:5]} of _inputs when it runs"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module in ("_inputs", "outputs"):
                assert [alias.name for alias in node.names] == ["*"], f"{module}:{node.lineno}"
                assert node.module == "_inputs", f"{module}:{node.lineno}"


def test_the_type_modules_are_imported_only_by_their_own_version():
    """Stand-ins are owed names only by their package and its kind modules (``_star_importer``):
    nothing elsewhere in pulumi-kubernetes star-imports them."""
    for module in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module is not None and node.module.endswith(("_inputs", "outputs")):
                assert node.level == 1, f"{module}:{node.lineno} imports {node.module}"
                assert node.module == "_inputs", f"{module}:{node.lineno} imports {node.module}"


def _python(script: str, *, env: dict[str, str] | None = None, given: str = "") -> str:
    """Run ``script`` in a fresh interpreter (the stand-ins are a process's import state); its stdout."""
    environment = {key: value for key, value in os.environ.items() if key != "CLUSTERSTACK_EVAL"} | (env if env is not None else {})
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=REPO, input=given, capture_output=True, text=True, env=environment, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


FINGERPRINT = """
import importlib, json, pkgutil, sys, types
import pulumi_kubernetes

def describe(value):
    if isinstance(value, types.ModuleType):
        return "module " + value.__name__
    if isinstance(value, (type, types.FunctionType)):
        return f"{type(value).__name__} {value.__module__}.{value.__qualname__}"
    if isinstance(value, (str, int, float, bool, tuple, list, dict, type(None))):
        return type(value).__name__ + " " + repr(value)[:80]
    return type(value).__name__

VERSIONS = sorted(
    f"pulumi_kubernetes.{group.name}.{version.name}"
    for group in pkgutil.iter_modules(pulumi_kubernetes.__path__) if group.ispkg
    for version in pkgutil.iter_modules([f"{pulumi_kubernetes.__path__[0]}/{group.name}"]) if version.ispkg
)
for version in VERSIONS:
    importlib.import_module(version)
BEFORE
printed = {}
for name in sorted(sys.modules):
    if not name.startswith("pulumi_kubernetes."):
        continue
    module = sys.modules[name]
    spec = module.__spec__
    printed[name] = {
        "class": type(module).__name__,
        "spec": [spec.name, spec.origin, type(spec.loader).__name__, spec.cached],
        "file": getattr(module, "__file__", None),
        "cached": getattr(module, "__cached__", None),
        "names": {key: describe(value) for key, value in sorted(vars(module).items()) if key != "__builtins__"},
    }
print(json.dumps(printed, sort_keys=True))
"""


def test_every_module_once_loaded_is_as_a_plain_import_leaves_it():
    """Every pulumi-kubernetes module, after every API version was imported with the stand-ins and
    then loaded (``settle``), holds the same names bound to the same things as in a process that
    imported them plainly; the same spec, file, cache and class."""
    plain = json.loads(_python(FINGERPRINT.replace("BEFORE", "")))
    deferred = json.loads(
        _python(
            "from clusterstack.program import typeloading\nassert typeloading.install()\n"
            + FINGERPRINT.replace("BEFORE", "assert len(typeloading.pending()) > 100, typeloading.pending()\ntypeloading.settle()\nassert typeloading.pending() == []")
        )
    )
    assert deferred.keys() == plain.keys()
    assert [name for name in plain if deferred[name] != plain[name]] == []
    assert "ContainerArgs" in plain["pulumi_kubernetes.core.v1"]["names"]


READ_THROUGH = """
import json
from clusterstack.program import typeloading
assert typeloading.install()
""" + FINGERPRINT.partition("BEFORE")[0] + """
PLAIN = json.load(sys.stdin)
read = {}
for version in VERSIONS:
    package = sys.modules[version]
    names = sorted(PLAIN[version], reverse=REVERSE)
    read[version] = {name: describe(getattr(package, name)) for name in names if name[:1].isupper() or name == "outputs"}
print(json.dumps(read, sort_keys=True))
"""


@pytest.mark.parametrize("reverse", [False, True], ids=["a-z", "z-a"])
def test_each_name_read_through_its_package_is_the_one_a_plain_import_binds(reverse):
    """Read one by one through the package, each of a version's names loads the module named for it
    (or the version's other modules, then every one) and is what a plain import binds to it, in
    either order, for every version."""
    plain = json.loads(_python(FINGERPRINT.replace("BEFORE", "")))
    names = {version: list(fingerprint["names"]) for version, fingerprint in plain.items() if version.count(".") == 2}
    read = json.loads(_python(READ_THROUGH.replace("REVERSE", str(reverse)), given=json.dumps(names)))
    assert len(read) > 50
    for version, described in read.items():
        assert described == {name: plain[version]["names"][name] for name in described}, version


def test_a_program_loads_the_kinds_it_uses_and_no_others():
    output = _python(
        """
        from clusterstack.program import typeloading
        assert typeloading.install()
        import sys, pulumi_kubernetes as k8s
        k8s.core.v1.Namespace, k8s.core.v1.ConfigMapInitArgs
        loaded = sorted(name for name in sys.modules if name.startswith("pulumi_kubernetes.core.v1.") and name not in typeloading.pending())
        print(loaded)
        """
    )
    assert output == "['pulumi_kubernetes.core.v1.ConfigMap', 'pulumi_kubernetes.core.v1.Namespace', 'pulumi_kubernetes.core.v1._enums']\n"


def test_the_package_answers_for_its_names_before_they_are_loaded():
    """Read through the package, by attribute, ``from … import``, ``dir`` and ``import *``, a name
    of ``_inputs`` is there, the same class as the module's own; the package's hooks go once it loaded."""
    output = _python(
        """
        from clusterstack.program import typeloading
        assert typeloading.install()
        import pulumi_kubernetes as k8s
        package = k8s.core.v1
        package.Namespace  # pulumi-kubernetes imports a version on first use (_utilities.lazy_import)
        assert "pulumi_kubernetes.core.v1._inputs" in typeloading.pending()
        assert "ContainerArgs" not in vars(package)
        listed = dir(package)
        assert "ContainerArgs" in listed and "__getattr__" not in listed, listed[:5]
        assert "pulumi_kubernetes.core.v1._inputs" not in typeloading.pending()
        assert "__getattr__" not in vars(package) and "__dir__" not in vars(package)
        import sys
        inputs = sys.modules["pulumi_kubernetes.core.v1._inputs"]
        assert package.ContainerArgs is inputs.ContainerArgs
        assert sys.modules["pulumi_kubernetes.core.v1.ResourceQuota"].ResourceQuotaSpecArgs is inputs.ResourceQuotaSpecArgs
        from pulumi_kubernetes.apps.v1 import DeploymentSpecArgs
        assert DeploymentSpecArgs is sys.modules["pulumi_kubernetes.apps.v1._inputs"].DeploymentSpecArgs
        namespace = {}
        exec("from pulumi_kubernetes.rbac.v1 import *", namespace)
        assert "PolicyRuleArgs" in namespace and "Role" in namespace
        try:
            k8s.networking.v1.NoSuchArgs
        except AttributeError as error:
            print(error)
        """
    )
    assert output == "module 'pulumi_kubernetes.networking.v1' has no attribute 'NoSuchArgs'\n"


def test_two_threads_reading_a_stand_in_at_once_load_it_once():
    output = _python(
        """
        from clusterstack.program import typeloading
        typeloading.install()
        import threading, pulumi_kubernetes as k8s
        k8s.core.v1.Namespace
        seen = []
        threads = [threading.Thread(target=lambda: seen.append(k8s.core.v1.outputs.PodSpec)) for _ in range(8)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        print(len(seen), len({id(cls) for cls in seen}), typeloading.pending().count("pulumi_kubernetes.core.v1.outputs"))
        """
    )
    assert output == "8 1 0\n"


SDK_WAY = """
import json
from clusterstack.program import typeloading
INSTALL
import pulumi
import pulumi_kubernetes as k8s
from clusterstack.program._sdk import EchoMocks, run

seen = {}

def program():
    # ignore_changes sends the quota the SDK's way, which translates its Args object by the types its
    # annotations name: ResourceQuotaSpecArgs, bound by the import * the stand-in owes the kind module.
    quota = k8s.core.v1.ResourceQuota(
        "quota", metadata={"name": "q", "namespace": "team"}, spec={"hard": {"pods": "4"}},
        opts=pulumi.ResourceOptions(ignore_changes=["spec"]),
    )
    namespace = k8s.core.v1.Namespace("team", metadata={"name": "team"})
    pulumi.export("hard", quota.spec.apply(lambda spec: dict(spec.hard)))
    pulumi.export("uid", namespace.metadata.apply(lambda meta: type(meta).__name__))

result = run(program, project="p", stack="s", config={}, mocks=EchoMocks())
print(json.dumps({"exports": result.outputs, "declined": result.declined, "registrations": [[r.type, r.name, r.inputs] for r in result.registrations]}, sort_keys=True, default=str))
"""


def test_the_sdks_own_way_resolves_annotations_as_without_stand_ins():
    """A resource declined by the fast path goes the SDK's way, which resolves its Args class's
    annotations in the kind module's namespace (``pulumi._types._globals_for_cls``); reading a
    resource's outputs resolves its class's. Both give what they give without stand-ins."""
    plain = _python(SDK_WAY.replace("INSTALL", ""))
    deferred = _python(SDK_WAY.replace("INSTALL", "assert typeloading.install()"))
    assert deferred == plain
    assert '"hard": {"pods": "4"}' in plain
    assert '"uid": "ObjectMeta"' in plain


def test_the_clusterstack_command_leaves_the_type_modules_unloaded_for_the_shipped_stacks(tmp_path):
    """What the speed rests on: the components give their resources dicts, so nothing loads the
    core/v1, apps/v1, rbac/v1 or meta/v1 Args classes, even in prod, which reads outputs. A component that starts using
    them loses the speed, and this says so."""
    output = _python(
        f"""
        import atexit, sys
        from clusterstack.program import typeloading
        typeloading.install()
        atexit.register(lambda: print(typeloading.pending(), file=sys.stderr))
        from clusterstack.cli import main
        sys.argv = ["clusterstack", "--state-dir", {str(tmp_path)!r}, "preview", "-s", "prod", "--no-cache"]
        try:
            main()
        except SystemExit as exit:
            print("exit", exit.code)
        print(sorted(typeloading.pending()))
        """
    )
    pending = output.splitlines()[-1]
    for module in ("core.v1._inputs", "apps.v1._inputs", "meta.v1._inputs", "rbac.v1._inputs", "policy.v1._inputs", "storage.v1._inputs"):
        assert f"pulumi_kubernetes.{module}" in pending
    # prod's load balancer reads its Service's status, an output type: that loads core/v1's outputs
    # (the SDK resolves Service's annotations, which name only ``outputs``, so not its _inputs).
    assert "pulumi_kubernetes.core.v1.outputs" not in pending
    assert "pulumi_kubernetes.apps.v1.outputs" in pending


@pytest.mark.parametrize(
    ("project", "stack"),
    [(".", "dev"), (".", "staging"), (".", "prod"), ("examples/team-app", "dev"), ("examples/team-app", "prod"), ("examples/two-clusters", "dev")],
)
def test_the_command_prints_the_same_with_and_without_stand_ins(project, stack, tmp_path):
    """The shipped stacks and the examples, whose programs construct typed resources of their own
    (a Deployment with an Output among its inputs, a provider per cluster)."""

    def preview(*python: str) -> subprocess.CompletedProcess[str]:
        state = tmp_path / python[0].replace("-", "")
        return subprocess.run(
            [sys.executable, *python, "--project-dir", project, "--state-dir", str(state), "preview", "-s", stack, "--no-cache"],
            cwd=REPO, capture_output=True, text=True, check=False, timeout=120,
        )

    with_stand_ins = preview("-m", "clusterstack")
    without = preview("-c", "import sys; from clusterstack.cli import main; sys.argv[0] = 'clusterstack'; main()")
    assert (with_stand_ins.returncode, with_stand_ins.stdout, with_stand_ins.stderr) == (without.returncode, without.stdout, without.stderr)
    assert with_stand_ins.returncode == 0
    assert "Plan:" in with_stand_ins.stdout


def test_install_stands_aside_when_asked_or_too_late():
    output = _python(
        """
        import os
        from clusterstack.program import typeloading
        os.environ["CLUSTERSTACK_EVAL"] = "sdk"
        print(typeloading.install(), typeloading.installed())
        del os.environ["CLUSTERSTACK_EVAL"]
        import pulumi_kubernetes.core.v1
        print(typeloading.install(), typeloading.installed(), typeloading.pending())
        """
    )
    assert output == "False False\nFalse False []\n"
