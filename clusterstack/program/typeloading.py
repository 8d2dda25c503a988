"""pulumi-kubernetes' modules, each loaded when first used instead of when its API version is imported.

Importing an API version of pulumi-kubernetes (``pulumi_kubernetes.core.v1``) runs the module of
every kind of that version (core/v1 has 50) and its ``_inputs`` and ``outputs`` modules: the Args and
output classes of all those kinds, with their TypedDicts, built by ``typing`` at import. For core/v1,
apps/v1, meta/v1 and rbac/v1 that is about 0.15 s, most of what a dev preview spent beyond starting
Python with Pulumi (issue 23), where its program uses a dozen kinds and, giving its resources dicts
as clusterstack's components do, none of those classes. So the ``clusterstack`` command, and
nothing else (``clusterstack.__main__.run``), loads each of those modules on first use:

- ``install`` puts a finder first on ``sys.meta_path`` that gives each kind's module
  (``pulumi_kubernetes.<group>.<version>.<Kind>``) and each ``_inputs`` and ``outputs`` module as a
  stand-in. The first attribute anyone reads of it loads the real module into it, as
  ``importlib.util.LazyLoader`` does; from then on it is that module, the same object, its class put back.
- One read does not load it: the ``import *`` with which a version's package takes in its kinds'
  modules and ``_inputs``, and each kind's module its version's ``_inputs``. That binds nothing then;
  the names it would have bound are put in those namespaces when the module loads (a name the
  importer bound itself afterwards is kept). A version's package runs nothing but imports, and no kind
  module uses a name of ``_inputs`` when it runs, only in string annotations (tests/test_typeloading.py
  checks every module pulumi-kubernetes ships), so the difference can be seen only by:
  - the package's own attributes (``k8s.core.v1.Namespace``, ``k8s.core.v1.ContainerArgs``),
    ``dir()`` or ``import *`` of it: until everything it waits for is loaded, the package has a module
    ``__getattr__`` and ``__dir__`` (PEP 562) that load the module named for the kind first (its class
    and its Args), then the others, so a program loads only the kinds it uses;
  - resolving a kind's annotations, which the SDK does to translate an Args object on its own path or
    a resource's outputs (``pulumi._types._globals_for_cls``): while a program runs here, that first
    loads what the class's modules wait for, if its annotations name something they do not hold yet
    (``_sdk/pulumi_internals.patched`` calls ``complete``; a resource's name only its ``outputs``).
  A user's program that resolves those annotations itself (``typing.get_type_hints`` on a kind's
  Args class) before anything loaded the module would not find the names; ``CLUSTERSTACK_EVAL=sdk``
  runs without any of this.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TypeVar

from .evalpath import EVAL_ENV

__all__ = ["complete", "completing", "install", "installed", "pending", "settle"]

T = TypeVar("T")

_PACKAGE = "pulumi_kubernetes"
_DEFERRED = ("_inputs", "outputs")
"""The modules given as stand-ins besides the kinds': ``pulumi_kubernetes.<group>.<version>.<this>``."""

_PASSED = frozenset({"__spec__", "__name__", "__loader__", "__package__", "__path__", "__file__", "__cached__", "__class__"})
"""What the import system reads of a module it has imported: read without loading it."""


@dataclass
class _Pending:
    """A module not loaded yet: where it really comes from, and the namespaces its names are owed to."""

    spec: importlib.machinery.ModuleSpec
    importers: list[dict[str, Any]] = field(default_factory=list)
    loading: bool = False


_pending: dict[str, _Pending] = {}
"""Each stand-in not loaded yet, by module name."""
_waiting: dict[str, set[str]] = {}
"""Each module whose ``import *`` of a stand-in bound nothing yet, by name: the stand-ins it waits for."""
_lock = threading.RLock()
"""Held while a module loads, so two threads reading a stand-in at once load it once."""


def install() -> bool:
    """Give pulumi-kubernetes' type modules as stand-ins from now on (unless ``CLUSTERSTACK_EVAL=sdk``,
    or they were imported already); True if it did."""
    if os.environ.get(EVAL_ENV) == "sdk" or installed():
        return False
    if any(_deferrable(name) for name in sys.modules):
        return False  # some were loaded in full already; mixing the two is not worth it
    sys.meta_path.insert(0, _Finder())
    return True


def installed() -> bool:
    return any(isinstance(finder, _Finder) for finder in sys.meta_path)


def pending() -> list[str]:
    """The stand-ins not loaded yet, by name."""
    with _lock:
        return sorted(_pending)


def complete(cls: type) -> None:
    """Before the SDK resolves ``cls``'s annotations in its modules' namespaces: if they name
    something such a namespace does not hold yet, load what that module waits for."""
    if not _waiting:
        return
    for base in cls.__mro__:
        module = sys.modules.get(base.__module__)
        if base.__module__ in _waiting and module is not None and any(name not in vars(module) and not hasattr(builtins, name) for name in _named_by(base)):
            _settle_importer(base.__module__)


def completing(resolve: Callable[[type], T]) -> Callable[[type], T]:
    """``resolve`` (the SDK's ``_globals_for_cls``: a class's modules' namespaces, where its
    annotations are resolved), once ``complete`` has made them hold every name they are owed."""

    def completed(cls: type) -> T:
        complete(cls)
        return resolve(cls)

    return completed


def _named_by(cls: type) -> Iterator[str]:
    """The names the annotations the SDK resolves start from (``_meta`` of
    ``'_meta.v1.outputs.ObjectMeta'``): its properties' return annotations and its own."""
    for value in vars(cls).values():
        if isinstance(value, property) and value.fget is not None:
            yield from _forward_names(getattr(value.fget, "__annotations__", {}).get("return"), top=True)
    for annotation in vars(cls).get("__annotations__", {}).values():
        yield from _forward_names(annotation, top=True)


def _forward_names(annotation: Any, top: bool = False) -> Iterator[str]:
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    elif not (top and isinstance(annotation, str)):  # a string inside an annotation is a Literal's value
        for argument in typing.get_args(annotation):
            yield from _forward_names(argument)
        return
    yield from _FIRST_NAMES.findall(annotation)


_FIRST_NAMES = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
"""The names an expression starts from: not attributes of another (``v1`` in ``_meta.v1``)."""


def settle() -> None:
    """Load every stand-in: the modules are then exactly as a plain import leaves them. Loading a
    kind's module imports its version's type modules, as new stand-ins: loaded too, until none is left."""
    loaded = True
    while loaded:
        loaded = False
        for name in pending():
            loaded = _load_stand_in(name) or loaded


def _deferrable(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 4 and parts[0] == _PACKAGE and (parts[3] in _DEFERRED or _kind(parts[3]))


def _kind(short: str) -> bool:
    """A kind's module (``Namespace``, ``NamespaceList``): named for the class it defines."""
    return short[:1].isupper()


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the type modules as the path finder would, and gives them ``_Loader``."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not _deferrable(fullname):
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or not isinstance(real.loader, importlib.machinery.SourceFileLoader):
            return real  # not a plain source module: imported as it is
        return importlib.machinery.ModuleSpec(fullname, _Loader(real), origin=real.origin)


class _Loader(importlib.abc.Loader):
    """Leaves the module empty, a stand-in that looks like the real one to the import system."""

    def __init__(self, real: importlib.machinery.ModuleSpec) -> None:
        self.real = real

    def exec_module(self, module: types.ModuleType) -> None:
        real = self.real
        module.__spec__ = real
        module.__loader__ = real.loader
        module.__file__ = real.origin
        module.__cached__ = real.cached  # type: ignore[attr-defined]  # set by the import system on every source module
        with _lock:
            _pending[module.__name__] = _Pending(real)
        module.__class__ = _StandIn


class _StandIn(types.ModuleType):
    """A type module not loaded yet: any attribute read loads it, but see ``_star_importer``."""

    def __getattribute__(self, name: str) -> Any:
        if name in _PASSED:
            return types.ModuleType.__getattribute__(self, name)
        if name == "__all__" and _star_importer(self, sys._getframe(1)):
            return ()
        _load(self)
        # The module's own lookup, whatever its class is now: while it loads, this thread reads what
        # it has so far, as in any import; another thread waited in _load until it was done.
        return types.ModuleType.__getattribute__(self, name)


def _star_importer(module: types.ModuleType, frame: FrameType) -> bool:
    """Whether ``__all__`` is read by the ``import *`` of the module's own package or a sibling, at the
    top of its code (as it is imported; pulumi-kubernetes imports a version with ``LazyLoader``, so the
    import system's own marks are not there to read); if so, that namespace is owed the module's names."""
    importer = frame.f_globals
    name = importer.get("__name__")
    package = module.__name__.rpartition(".")[0]
    if frame.f_code.co_name != "<module>" or not isinstance(name, str) or package not in (name, name.rpartition(".")[0]):
        return False
    if getattr(sys.modules.get(name), "__dict__", None) is not importer:
        return False  # not the module's own code running (a module's code at its top runs when it is imported)
    if name == package and not _hook_package(importer):
        return False
    with _lock:
        entry = _pending.get(module.__name__)
        if entry is None:
            return False
        entry.importers.append(importer)
        _waiting.setdefault(name, set()).add(module.__name__)
    short = module.__name__.rpartition(".")[2]
    if name == package and _kind(short) and importer.get(short) is module:
        # The import system made the submodule an attribute of its package; its import * would then
        # have bound the class of that name over it. Until then the package's __getattr__ answers.
        del importer[short]
    return True


def _hook_package(namespace: dict[str, Any]) -> bool:
    """Give a package that is waiting for stand-ins' names a module ``__getattr__`` and ``__dir__``
    that load them first; False if it has its own (then it is not kept waiting)."""
    if _hooked(namespace.get("__getattr__")) and _hooked(namespace.get("__dir__")):
        return True
    if "__getattr__" in namespace or "__dir__" in namespace:
        return False
    package = namespace["__name__"]

    def module_getattr(name: str) -> Any:
        # What the stand-ins owe are classes, capitalised (tests/test_typeloading.py checks): another
        # name is not theirs, and the import system asks for a submodule (``outputs``) here before
        # importing it. ``import *`` asks for ``__all__``, which the package has not: it is answered
        # from the package's namespace, which must hold everything first.
        if name == "__all__":
            _settle_importer(package)
        # The kind's module named for it first (``Namespace``, ``NamespaceInitArgs``): a program loads
        # the kinds it uses and no others. Then the version's other modules, then every one.
        for waited in _named_for(package, name) if name[:1].isupper() else ():
            _load_stand_in(waited)
            if name in namespace:
                return namespace[name]
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def module_dir() -> list[str]:
        _settle_importer(package)
        return sorted(namespace)

    module_getattr.__clusterstack_hook__ = module_dir.__clusterstack_hook__ = True  # type: ignore[attr-defined]  # told apart from a package's own
    namespace["__getattr__"] = module_getattr
    namespace["__dir__"] = module_dir
    return True


def _hooked(function: Any) -> bool:
    return getattr(function, "__clusterstack_hook__", False) is True


def _named_for(package: str, name: str) -> list[str]:
    """The stand-ins ``package`` waits for, in the order to load them to find ``name``."""
    waits = sorted(_waiting.get(package, ()))
    kinds = {f"{package}.{name.removesuffix(suffix)}" for suffix in ("InitArgs", "Args", "")}
    others = [waited for waited in waits if not _kind(waited.rpartition(".")[2])]
    return [waited for waited in waits if waited in kinds] + others + waits


def _settle_importer(name: str) -> None:
    """Load the stand-ins the module ``name`` waits for."""
    for waited in sorted(_waiting.get(name, ())):
        _load_stand_in(waited)


def _load_stand_in(name: str) -> bool:
    """Load the module ``name`` if it is still a stand-in; whether it was one."""
    module = sys.modules.get(name)
    if not isinstance(module, _StandIn):
        return False
    _load(module)
    return True


def _load(module: types.ModuleType) -> None:
    """Run the real module in the stand-in, then owe nobody its names. The stand-in stays one until
    the module has run, so a thread reading it meanwhile waits here rather than see it half made."""
    with _lock:
        name = module.__name__
        entry = _pending.get(name)
        if entry is None or entry.loading or type(module) is not _StandIn:
            return
        entry.loading = True
        loader = entry.spec.loader
        assert loader is not None
        try:
            loader.exec_module(module)
        except BaseException:
            # As a failed import leaves it: gone from sys.modules, to be imported afresh.
            del _pending[name]
            if sys.modules.get(name) is module:
                del sys.modules[name]
            raise
        module.__class__ = types.ModuleType  # type: ignore[assignment]  # the stand-in made the module it stood for
        del _pending[name]
        exported = getattr(module, "__all__", None)
        names = list(exported) if exported is not None else [key for key in vars(module) if not key.startswith("_")]
        short = name.rpartition(".")[2]
        for importer in entry.importers:
            for exported_name in names:
                importer.setdefault(exported_name, getattr(module, exported_name))
            if importer["__name__"] == name.rpartition(".")[0] and _kind(short):
                importer.setdefault(short, module)  # the submodule attribute _star_importer took away, unless a name replaced it
            _unwait(importer, name)


def _unwait(importer: dict[str, Any], loaded: str) -> None:
    name = importer["__name__"]
    waits = _waiting.get(name, set())
    waits.discard(loaded)
    if waits:
        return
    _waiting.pop(name, None)
    for hook in ("__getattr__", "__dir__"):
        if _hooked(importer.get(hook)):
            del importer[hook]
