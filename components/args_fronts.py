"""Each Args' typed fronts, written from its fields: the ``…ArgsDict`` and the typed constructor.

An Args is declared once, as a pydantic model's fields (with their docstrings). What a caller writes
differs from what the model holds (a list for a tuple, a dict for a nested model, "1Gi" for a
Quantity), so type checkers need two fronts, as Pulumi's own SDKs have (pkg/codegen/python/gen.go in
pulumi/pulumi: ``genDictType`` writes ``class <Type>ArgsDict(TypedDict)`` with ``NotRequired`` optional
keys, ``genType`` an ``__init__`` whose arguments are keyword-only after a bare ``*``):

- ``<Model>ArgsDict`` (``<Name>ArgsDict`` for ``<Name>Args``): the stack files' camelCase keys, each
  optional unless the field is required;
- the model's ``__init__`` as a type checker sees it, under ``if TYPE_CHECKING``; at run time the
  constructor is pydantic's own, so nothing here is on the start-up path.

Unlike Pulumi's ``Optional[...] = None`` arguments, a keyword takes None only where the field does:
the constructor is pydantic's, for which None is a value, not "unset".

Both are written into the model's module between ``# <generated …>`` and ``# </generated>`` lines by
``python -m clusterstack.components.args_fronts`` (run from a checkout: it rewrites the modules where
they are); ``tests/test_args_fronts.py`` derives them again and fails when a checked-in one differs.
The translation from a field's annotation (its source text) to what a caller may write is structural
(``tuple[X, ...]`` → ``Sequence[X]``, ``dict[K, V]`` → ``Mapping[K, V]``, a model → the model or its
ArgsDict, ``Annotated``/``SkipJsonSchema`` unwrapped), plus ``WRITTEN_AS`` for the named types whose
validators take something else.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import keyword
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pydantic.fields import FieldInfo

from .model import Model

WRITTEN_AS: dict[str, str] = {
    "QuantityValue": "QuantityText | Quantity",
    "Hard": "HardInput",
    "Reserved": "Mapping[str, QuantityText | Quantity]",
    "ResourceList": "Mapping[str, QuantityText | Quantity]",
    "ThresholdValue": "QuantityText",
    "Step": "Sequence[int]",
    "Parameters": "Mapping[str, str | pulumi.Output[str]]",
    "StubDomainsInput": "Mapping[str, ServerList]",
    "UpstreamServersInput": "ServerList",
    "StubDomains": "Mapping[str, Sequence[str]]",
    "UpstreamServers": "Sequence[str]",
    "CidrsInput": "CidrsArg",
    "PodSecurity": "PodSecurity | Level | PodSecurityArgsDict",
}
"""What a caller may write for a named type whose validator accepts more than the type says (a
quantity's text, a Pod Security level alone). Other names are written as they are: ``…Input``
aliases already read, for a type checker, as the plain value or an Output."""

ALSO_ACCEPTS: dict[str, str] = {
    "TenantAccess.service_accounts": "Sequence[str]",
}
"""Fields whose own before-validator takes a further form (a list of ServiceAccount names)."""

BEGIN = "# <generated from the fields of {model} by `python -m clusterstack.components.args_fronts`: edit those, then run it>"
END = "# </generated>"
LINE_LENGTH = 160
"""The project's line length (pyproject.toml, ruff): a constructor that fits is written on one line."""


@dataclass(frozen=True)
class Front:
    """One model's fronts, as source text."""

    dict_name: str
    typed_dict: str
    init: str


def dict_name(model: type[Model] | str) -> str:
    """``TenantNamespaceArgs`` → ``TenantNamespaceArgsDict``; ``PodSecurity`` → ``PodSecurityArgsDict``."""
    name = model if isinstance(model, str) else model.__name__
    return f"{name}Dict" if name.endswith("Args") else f"{name}ArgsDict"


def args_models(module: ModuleType) -> list[type[Model]]:
    """The public models declared in ``module``, in source order: each is an Args with fronts."""
    found = [
        value
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, Model) and value is not Model and value.__module__ == module.__name__ and not name.startswith("_")
    ]
    lines = {node.name: node.lineno for node in ast.parse(Path(_source_path(module)).read_text()).body if isinstance(node, ast.ClassDef)}
    return sorted(found, key=lambda model: lines[model.__name__])


def _source_path(module: ModuleType) -> str:
    if module.__file__ is None:
        raise LookupError(module.__name__)
    return module.__file__


def component_modules() -> Iterator[ModuleType]:
    """Every module of the component library, found by walking the package."""
    package = importlib.import_module(__package__ if __package__ else "clusterstack.components")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        yield importlib.import_module(f"{package.__name__}.{info.name}")


# --- what a caller may write for a field --------------------------------------------------------


def _annotation_text(model: type[Model], field: str) -> str:
    """The field's annotation as its source wrote it (every component module defers annotations)."""
    for klass in model.__mro__:
        own = inspect.get_annotations(klass)
        if field in own:
            text = own[field]
            if not isinstance(text, str):
                raise TypeError(f"{klass.__name__}.{field}: the module must start with `from __future__ import annotations`")
            return text
    raise LookupError(f"{model.__name__}.{field}")


def _members(node: ast.expr, models: set[str]) -> list[str]:
    """The union members a caller may write for ``node``, in order, None included where it is."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _members(node.left, models) + _members(node.right, models)
    if isinstance(node, ast.Constant) and node.value is None:
        return ["None"]
    if isinstance(node, ast.Name):
        if node.id in WRITTEN_AS:
            return [WRITTEN_AS[node.id]]
        if node.id in models:
            return [node.id, dict_name(node.id)]
        return [node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        kind, inner = node.value.id, node.slice
        if kind in ("Annotated", "SkipJsonSchema"):
            first = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
            return _members(first, models)
        if kind == "tuple" and isinstance(inner, ast.Tuple) and len(inner.elts) == 2 and isinstance(inner.elts[1], ast.Constant):
            return [f"Sequence[{_union(_members(inner.elts[0], models))}]"]
        if kind == "dict" and isinstance(inner, ast.Tuple) and len(inner.elts) == 2:
            return [f"Mapping[{_union(_members(inner.elts[0], models))}, {_union(_members(inner.elts[1], models))}]"]
    return [ast.unparse(node)]


def _union(members: list[str]) -> str:
    return " | ".join(dict.fromkeys(members))


def caller_type(model: type[Model], field: str, models: set[str]) -> tuple[str, bool]:
    """What a caller may write for ``field`` (None left out) and whether None is among it."""
    members = _members(ast.parse(_annotation_text(model, field), mode="eval").body, models)
    extra = ALSO_ACCEPTS.get(f"{model.__name__}.{field}")
    members += [extra] if extra is not None else []
    nullable = "None" in members
    return _union([m for m in members if m != "None"]), nullable


def _default(info: FieldInfo, nullable: bool) -> str:
    """The default as a signature shows it: the value where it is a plain one, else ``...``."""
    if info.default_factory is not None:
        return "..."
    value = info.default
    if value is None:
        return "None" if nullable else "..."
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (bool, int, float)) or value == ():
        return repr(value)
    return "..."


# --- the fronts as source text -------------------------------------------------------------------


def front(model: type[Model], models: set[str]) -> Front:
    name = dict_name(model)
    keys: list[tuple[str, str]] = []
    params: list[str] = []
    for field, info in model.model_fields.items():
        written, nullable = caller_type(model, field, models)
        key = info.alias if info.alias is not None else field
        keys.append((key, f"Required[{written}]" if info.is_required() else written))
        if info.is_required():
            params.append(f"{field}: {written}{' | None' if nullable else ''}")
        else:
            params.append(f"{field}: {written}{' | None' if nullable else ''} = {_default(info, nullable)}")
    begin = BEGIN.format(model=model.__name__)
    doc = f'"""``{model.__name__}`` as a dict, in the stack files\' spelling."""'
    if all(key.isidentifier() and not keyword.iskeyword(key) for key, _ in keys):
        lines = [f"class {name}(TypedDict, total=False):", f"    {doc}", "", *(f"    {key}: {value}" for key, value in keys)]
    else:
        # A key that is a Python keyword (``except``) can only be declared in the functional form.
        items = [f'        "{key}": {value},' for key, value in keys]
        lines = ["# A key is a Python keyword, so this dict is declared in the functional form.", f"{name} = TypedDict(", f'    "{name}",']
        lines += ["    {", *items, "    },", "    total=False,", ")", doc]
    typed_dict = "\n".join([begin, *lines, END])
    init_lines = ["    " + begin, "    if TYPE_CHECKING:"]
    one_line = f"        def __init__(self, *, {', '.join(params)}) -> None: ..." if params else "        def __init__(self) -> None: ..."
    if len(one_line) <= LINE_LENGTH:
        init_lines.append(one_line)
    else:
        arguments = _wrapped(["self,", "*,", *(f"{p}," for p in params)], "            ")
        init_lines += ["        def __init__(", *arguments, "        ) -> None: ..."]
    init_lines.append("    " + END)
    return Front(name, typed_dict, "\n".join(init_lines))


def _wrapped(items: list[str], indent: str) -> list[str]:
    """``items`` on as few lines as the line length allows, none split."""
    lines: list[str] = []
    for item in items:
        if lines and len(f"{lines[-1]} {item}") <= LINE_LENGTH:
            lines[-1] = f"{lines[-1]} {item}"
        else:
            lines.append(f"{indent}{item}")
    return lines


def model_names() -> set[str]:
    return {model.__name__ for module in component_modules() for model in args_models(module)}


# --- writing them into a module ------------------------------------------------------------------


def _span(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """A node's lines (0-based, end exclusive), widened to the generated markers around it."""
    above = start
    while above > 0 and lines[above - 1].lstrip().startswith("#"):
        above -= 1
        if lines[above].lstrip().startswith("# <generated"):
            start = above
            break
    if end < len(lines) and lines[end].strip() == END:
        end += 1
    return start, end


def _init_span(node: ast.ClassDef, lines: list[str]) -> tuple[int, int] | None:
    """Where the class's typed constructor is (its ``if TYPE_CHECKING`` block), if it has one."""
    for statement in node.body:
        if not (isinstance(statement, ast.If) and isinstance(statement.test, ast.Name) and statement.test.id == "TYPE_CHECKING"):
            continue
        if any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in statement.body):
            return _span(lines, statement.lineno - 1, _end(statement))
    return None


def _end(node: ast.stmt) -> int:
    if node.end_lineno is None:
        raise LookupError("no end line")
    return node.end_lineno


def _after_fields(node: ast.ClassDef, model: type[Model]) -> int:
    """The line after the model's own last field and its docstring (else after the class docstring)."""
    after = node.body[0].end_lineno if node.body else node.lineno
    body = node.body
    for index, statement in enumerate(body):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.target.id in model.model_fields:
            after = _end(statement)
            following = body[index + 1] if index + 1 < len(body) else None
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str):
                after = _end(following)
    if after is None:
        raise LookupError(model.__name__)
    return after


def rewrite(source: str, module: ModuleType, models: set[str]) -> str:
    """``source`` (the text of ``module``) with every Args' fronts written afresh."""
    lines = source.split("\n")
    tree = ast.parse(source)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    dicts: dict[str, tuple[int, int]] = {name: (node.lineno, _end(node)) for name, node in classes.items()}
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            following = tree.body[index + 1] if index + 1 < len(tree.body) else None
            documented = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str)
            dicts[node.targets[0].id] = (node.lineno, _end(following) if documented and following is not None else _end(node))
    edits: list[tuple[int, int, list[str]]] = []
    for model in args_models(module):
        made = front(model, models)
        node = classes[model.__name__]
        existing = _init_span(node, lines)
        if existing is not None:
            edits.append((*existing, made.init.split("\n")))
        else:
            at = _after_fields(node, model)
            edits.append((at, at, ["", *made.init.split("\n")]))
        old = dicts.get(made.dict_name)
        if old is not None:
            start, end = _span(lines, old[0] - 1, old[1])
            edits.append((start, end, made.typed_dict.split("\n")))
        else:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            edits.append((start, start, [*made.typed_dict.split("\n"), "", ""]))
    for start, end, new in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[start:end] = new
    return "\n".join(lines)


def main() -> int:
    """Rewrite every component module whose fronts differ from its fields; say which."""
    models = model_names()
    changed = []
    for module in component_modules():
        path = Path(_source_path(module)).resolve()
        source = path.read_text()
        written = rewrite(source, module, models)
        if written != source:
            path.write_text(written)
            changed.append(path.name)
    print(f"rewrote {', '.join(changed)}" if changed else "every Args' fronts are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
