"""The fence around the Pulumi SDK's internals: clusterstack/program/_sdk/pulumi_internals.py is the
only module of clusterstack (and of the component library it packages) that touches one, it lists
each one it touches (``INTERNALS``), and what it lists is there on the installed SDK.

An internal is anything the SDK does not publish in ``pulumi.__all__`` or ``pulumi.runtime.__all__``
(``pulumi._types``, ``pulumi.runtime.settings``, ``rpc``, ``config``, ``mocks``...), a private
``_name`` the SDK defines, an SDK attribute replaced (a monkeypatch) and a resource's ``__dict__``.
The scan reads each module's syntax tree; it knows which names are bound to the SDK from the
module's imports, and which ``_names`` are the SDK's from the SDK's own source.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import pulumi
import pulumi.runtime
import pytest

from clusterstack.program._sdk import pulumi_internals
from clusterstack.program.evalpath import PROVEN_ON
from tests.conftest import REPO
from tests.sources import source_modules

ADAPTER = REPO / "clusterstack" / "program" / "_sdk" / "pulumi_internals.py"
SDK_PACKAGE = REPO / "clusterstack" / "program" / "_sdk"


@dataclass(frozen=True)
class Touch:
    """One touch of a Pulumi internal: where, what was touched, and the part of it that is internal."""

    line: int
    what: str
    internal: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what} ({self.internal} is not public)"


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _private(name: str) -> bool:
    return name.startswith("_") and not _dunder(name)


@cache
def _sdk_private_names() -> frozenset[str]:
    """Every ``_name`` the SDK's own source defines: functions, classes, module and class variables,
    and attributes it sets on ``self``."""
    names: set[str] = set()
    for source in Path(pulumi.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return frozenset(name for name in names if _private(name))


_PUBLIC_MODULES = frozenset({"pulumi", *(f"pulumi.{name}" for name in pulumi.__all__ if inspect.ismodule(getattr(pulumi, name, None)))}) - {"pulumi.runtime.rpc"}


def _first_internal(dotted: str) -> str | None:
    """The first part of a dotted path into the SDK that is not public, or None when all of it is.

    Public: ``pulumi``, its published sub-packages, and an object ``pulumi`` or ``pulumi.runtime``
    publishes (reached through any module that defines it), with its attributes that are not private."""
    parts = dotted.split(".")
    current: object = pulumi
    for index, part in enumerate(parts[1:], start=1):
        if _private(part):
            return part
        step = getattr(current, part, None)
        if step is None:
            return part
        if inspect.ismodule(step):
            current = step
            continue
        published = (part in pulumi.__all__ and getattr(pulumi, part, None) is step) or (
            part in pulumi.runtime.__all__ and part != "rpc" and getattr(pulumi.runtime, part, None) is step
        )
        if not published:
            return part
        rest = [name for name in parts[index + 1 :] if _private(name)]
        return rest[0] if rest else None
    module = ".".join(parts)
    return None if module in _PUBLIC_MODULES else parts[-1]


def _chain(node: ast.expr) -> tuple[str, list[str]] | None:
    """``a.b.c`` as (``a``, [``b``, ``c``]); None when it is not rooted at a plain name."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.insert(0, node.attr)
        node = node.value
    return (node.id, attributes) if isinstance(node, ast.Name) else None


def _on_self(attribute: ast.Attribute) -> bool:
    return isinstance(attribute.value, ast.Name) and attribute.value.id in {"self", "cls"}


class _Scan(ast.NodeVisitor):
    def __init__(self, module: str | ModuleType | None) -> None:
        self.module = module
        """The module, or its name, to import when a class of it needs resolving."""
        self.bound: dict[str, str] = {}
        """Local names bound to something of the SDK, by its dotted path."""
        self.touches: list[Touch] = []
        self.inner: set[int] = set()
        self.sdk_class_private: list[frozenset[str]] = [frozenset()]

    def touch(self, node: ast.AST, what: str, internal: str) -> None:
        self.touches.append(Touch(getattr(node, "lineno", 0), what, internal))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] != "pulumi":
                continue
            self.bound[alias.asname or "pulumi"] = alias.name if alias.asname else "pulumi"
            internal = _first_internal(alias.name)
            if internal is not None:
                self.touch(node, alias.name, internal)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module or node.module.split(".")[0] != "pulumi":
            return
        for alias in node.names:
            dotted = f"{node.module}.{alias.name}"
            self.bound[alias.asname or alias.name] = dotted
            internal = _first_internal(dotted)
            if internal is not None:
                self.touch(node, dotted, internal)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.sdk_class_private.append(self._sdk_bases_private(node.name))
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name in self.sdk_class_private[-1]:
                self.touch(statement, f"{node.name}.{statement.name}", statement.name)
        self.generic_visit(node)
        self.sdk_class_private.pop()

    def _sdk_bases_private(self, name: str) -> frozenset[str]:
        """The private names of the SDK classes the module's class ``name`` derives from."""
        if isinstance(self.module, str):
            self.module = importlib.import_module(self.module)
        cls = getattr(self.module, name, None)
        if not inspect.isclass(cls):
            return frozenset()
        names: set[str] = set()
        for base in cls.__mro__:
            if base.__module__.split(".")[0] == "pulumi":
                names |= {attribute for attribute in vars(base) if _private(attribute)}
                names |= set(re.findall(r"self\.(_[A-Za-z]\w*)", inspect.getsource(base)))
        return frozenset(name for name in names if _private(name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if id(node) not in self.inner:
            self.inner.update(id(value) for value in ast.walk(node.value) if isinstance(value, ast.Attribute))
            self._check_attribute(node)
        self.generic_visit(node)

    def _check_attribute(self, node: ast.Attribute) -> None:
        chain = _chain(node)
        if chain is not None and chain[0] in self.bound:
            dotted = ".".join([self.bound[chain[0]], *chain[1]])
            if not isinstance(node.ctx, ast.Load):
                self.touch(node, dotted, chain[1][-1])  # an SDK attribute replaced: a monkeypatch
                return
            internal = _first_internal(dotted)
            if internal is not None:
                self.touch(node, dotted, internal)
            return
        self._check_private_attributes(node)

    def _check_private_attributes(self, node: ast.Attribute) -> None:
        for attribute in [node, *(value for value in ast.walk(node.value) if isinstance(value, ast.Attribute))]:
            on_self = _on_self(attribute)
            name = attribute.attr
            if on_self and name in self.sdk_class_private[-1]:
                self.touch(attribute, f"self.{name}", name)
            elif not on_self and name in _sdk_private_names():
                self.touch(attribute, f"….{name}", name)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        """``x.__dict__[key] = value``: an attribute set behind the object's back (a resource's Outputs)."""
        target = node.value
        if not isinstance(node.ctx, ast.Load) and isinstance(target, ast.Attribute) and target.attr == "__dict__" and not _on_self(target):
            self.touch(node, "….__dict__[…]", "__dict__")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function, args = node.func, node.args
        if isinstance(function, ast.Name) and function.id in {"getattr", "setattr", "hasattr", "delattr"} and len(args) >= 2:
            name = args[1].value if isinstance(args[1], ast.Constant) else None
            if isinstance(name, str) and name in _sdk_private_names():
                self.touch(node, f"{function.id}(…, {name!r})", name)
        self.generic_visit(node)


def touches(source: str, module: str | ModuleType | None = None) -> list[Touch]:
    scan = _Scan(module)
    scan.visit(ast.parse(source))
    return scan.touches


def _modules() -> list[tuple[Path, str]]:
    """Every module of clusterstack and of the component library it packages as clusterstack.components
    (clusterstack/components is a link to components/, read once)."""
    return [(path, name) for name, path in source_modules()]


def test_no_module_but_the_adapter_touches_a_pulumi_internal():
    found = {}
    modules = _modules()
    assert len(modules) > 50, "the scan reads the whole package"
    for path, name in modules:
        if path == ADAPTER:
            continue
        module = None if name.endswith("__main__") else name  # importing it would run the command
        if module_touches := touches(path.read_text(encoding="utf-8"), module):
            found[str(path.relative_to(REPO))] = [str(touch) for touch in module_touches]
    assert found == {}, "reach Pulumi's internals only through clusterstack/program/_sdk/pulumi_internals.py, and list them there"


def test_every_internal_the_adapter_touches_is_listed():
    """The scan sees the adapter's touches (so it can fail elsewhere), and each is in ``INTERNALS``."""
    found = touches(ADAPTER.read_text(encoding="utf-8"), pulumi_internals)
    listed = {token for internal in pulumi_internals.INTERNALS for token in re.split(r"[.,\s]+", internal.name)}
    unlisted = sorted({touch.internal for touch in found} - listed)
    assert len(found) > 30, [str(touch) for touch in found]
    assert unlisted == [], "list each internal the adapter touches in pulumi_internals.INTERNALS"


def test_every_listed_internal_says_what_it_is_for_and_is_proven_on_the_declared_range():
    assert pulumi_internals.PROVEN_ON is PROVEN_ON, "evalpath.PROVEN_ON is the one source of the proven versions"
    for internal in pulumi_internals.INTERNALS:
        assert internal.name.startswith("pulumi."), internal
        assert internal.use, internal
        assert internal.kind in {"read", "called", "subclassed", "written", "patched"}, internal
        assert internal.proven_on == PROVEN_ON, internal
    patched = [internal.name for internal in pulumi_internals.INTERNALS if internal.kind == "patched"]
    assert len(patched) == 6, (
        "the six monkeypatches: the stack-trace walk, the debug log, Resource.__init__, register_resource_outputs, ResourceOptions.merge, "
        "the namespaces annotations are resolved in (tests/test_typeloading.py proves the last)"
    )


def _resolves(dotted: str) -> bool:
    """Whether the installed SDK has ``dotted``: a module, then attributes, the last possibly one the
    class sets on its instances (``self._name = ...`` in its source)."""
    parts = dotted.split(".")
    found: object = importlib.import_module(parts[0])
    start = 1
    while start < len(parts) and inspect.ismodule(found):
        try:
            found = importlib.import_module(".".join(parts[: start + 1]))
        except ModuleNotFoundError:
            break
        start += 1
    for index, part in enumerate(parts[start:], start=start):
        if hasattr(found, part):
            found = getattr(found, part)
        else:
            return index == len(parts) - 1 and inspect.isclass(found) and f"self.{part} =" in inspect.getsource(found)
    return True


@pytest.mark.parametrize("internal", pulumi_internals.INTERNALS, ids=lambda internal: internal.name.split(",")[0])
def test_each_listed_internal_is_there_on_the_installed_sdk(internal):
    """What INTERNALS lists exists on this SDK (CI runs it on the lowest proven and the locked one)."""
    first, *more = [name.strip() for name in internal.name.split(",")]
    owner = first.rpartition(".")[0]
    for dotted in [first, *(f"{owner}.{name}" for name in more)]:
        assert _resolves(dotted), dotted


@pytest.mark.parametrize(
    ("source", "internal"),
    [
        ("from pulumi import _types", "_types"),
        ("import pulumi._types", "_types"),
        ("from pulumi.runtime import settings", "settings"),
        ("from pulumi.runtime.rpc import serialize_properties", "serialize_properties"),
        ("from pulumi.runtime.mocks import MockMonitor", "MockMonitor"),
        ("from pulumi.runtime.sync_await import _sync_await", "_sync_await"),
        ("import pulumi\npulumi.runtime.settings.SETTINGS.outputs.clear()", "SETTINGS"),
        ("import pulumi\npulumi.runtime.rpc.is_rpc_secret({})", "is_rpc_secret"),
        ("import pulumi.runtime.rpc", "rpc"),
        ("import pulumi\npulumi.log.debug = print", "debug"),
        ("from pulumi import Resource\nResource.__init__ = print", "__init__"),
        ("def f(res):\n    return res._providers", "_providers"),
        ("def f(output):\n    return output._data.result()", "_data"),
        ("def f(monitor):\n    return getattr(monitor, '_stack_transforms', None)", "_stack_transforms"),
        ("def f(res):\n    res.__dict__['urn'] = None", "__dict__"),
    ],
)
def test_the_scan_sees_each_way_of_touching_an_internal(source, internal):
    assert [touch.internal for touch in touches(source)] == [internal]


@pytest.mark.parametrize(
    "source",
    [
        "import pulumi\npulumi.export('a', 1)",
        "import pulumi\npulumi.runtime.set_mocks(None)",
        "import pulumi\npulumi.runtime.MockResourceArgs",
        "from pulumi import ComponentResource, ResourceOptions, Output",
        "from pulumi.resource import Resource, ResourceOptions",
        "import pulumi\npulumi.Output.secret(1)",
        "import pulumi_kubernetes as k8s\nk8s._utilities",
        "class Box:\n    def __init__(self):\n        self._lock = None\n        self._providers = {}",
    ],
)
def test_the_scan_leaves_the_public_api_alone(source):
    assert touches(source) == []


def test_a_self_attribute_of_an_sdk_subclass_is_checked_against_its_sdk_bases():
    """A subclass of an SDK class that sets one of the base's private attributes touches an internal."""
    source = "import pulumi\nclass Late(pulumi.Output):\n    def __init__(self):\n        self._data = None\n"
    module = ModuleType("late")
    exec(compile(source, "late", "exec"), module.__dict__)  # a module made in the test, to resolve its class
    assert [touch.internal for touch in touches(source, module)] == ["_data"]


def test_no_function_of_the_program_package_is_over_complexity_10():
    """The fast path's check and commit, and every function beside them, stay small (mccabe, as ruff counts it)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "C901", "--config", "lint.mccabe.max-complexity = 10", "clusterstack/program"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_module_of_the_sdk_package_opens_with_its_job_and_stays_small():
    for path in sorted(SDK_PACKAGE.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(source)), f"{path.name} opens with a docstring of its job"
        assert source.count("\n") <= 400, f"{path.name}: {source.count(chr(10))} lines; split what does two things"


def test_a_touch_names_its_line_what_was_touched_and_the_part_that_is_internal():
    source = textwrap.dedent(
        """
        from pulumi.runtime import config
        def values():
            return config.CONFIG.get()
        """
    )
    assert touches(source) == [Touch(2, "pulumi.runtime.config", "config"), Touch(4, "pulumi.runtime.config.CONFIG.get", "CONFIG")]
