"""Each Args is declared once, as its model's fields; its typed fronts (the ``…ArgsDict`` and the typed
constructor) are derived from them by ``python -m clusterstack.components.args_fronts`` and checked in.

This verifies: deriving them again changes no module (no drift), for every model found by walking the
package; each ArgsDict has exactly the model's keys, required where the field is; each typed
constructor takes exactly the model's fields; a type checker accepts what a caller writes (dicts,
Outputs, quantity text) and rejects a misspelt keyword; each component input outside its Args says
why in the constructor's docstring; at run time the constructor is pydantic's own
(no private hooks) and nested dicts in the stack files' spelling still validate.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pulumi
import pytest
from pydantic import BaseModel
from typing_extensions import Required

from clusterstack.components import args_fronts
from clusterstack.components.model import Model, args_for
from clusterstack.components.tenant import TenantNamespaceArgs

MODULES = list(args_fronts.component_modules())
MODELS = [model for module in MODULES for model in args_fronts.args_models(module)]
NAMES = args_fronts.model_names()


def test_the_walk_finds_every_args_model():
    """Every public Model subclass of the library, wherever it is declared, has fronts (36 today, and
    the ones that had none written by hand, such as ScopeRequirement, now have them)."""
    every = {cls for cls in _subclasses(Model) if cls.__module__.startswith("clusterstack.components.") and not cls.__name__.startswith("_")}
    assert every == set(MODELS)
    assert len(MODELS) >= 36
    assert {"TenantNamespaceArgs", "CoreDnsArgs", "ClusterPlatformArgs", "PodSecurity", "IngressRule"} <= NAMES


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__.rsplit(".", 1)[-1] for m in MODULES])
def test_the_checked_in_fronts_are_what_the_fields_give(module):
    path = Path(inspect.getfile(module)).resolve()
    source = path.read_text()
    assert args_fronts.rewrite(source, module, NAMES) == source, (
        f"{path.name}: an Args' fronts differ from its fields; run `python -m clusterstack.components.args_fronts`"
    )


def test_a_hand_edit_inside_a_generated_block_is_drift():
    module = next(m for m in MODULES if m.__name__.endswith(".tenant"))
    source = Path(inspect.getfile(module)).resolve().read_text()
    edited = source.replace("    podSecurity: PodSecurity | Level | PodSecurityArgsDict\n", "")
    assert edited != source
    assert args_fronts.rewrite(edited, module, NAMES) == source


def test_a_model_without_a_typed_constructor_gets_one_after_its_fields():
    module = next(m for m in MODULES if m.__name__.endswith(".tenant"))
    source = Path(inspect.getfile(module)).resolve().read_text()
    start = source.index("\n    # <generated from the fields of TenantNamespaceArgs")
    end = source.index("    # </generated>\n", start) + len("    # </generated>\n")
    without = source[:start] + source[end:]
    assert "if TYPE_CHECKING" not in without[start - 2000 : start + 200]
    assert args_fronts.rewrite(without, module, NAMES) == source


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_each_args_dict_has_the_models_keys_required_where_the_field_is(model):
    typed_dict = getattr(sys.modules[model.__module__], args_fronts.dict_name(model))
    fields = model.model_fields
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    assert set(hints) == {f.alias if f.alias is not None else name for name, f in fields.items()}
    # Required[...] is read from the hints: under ``from __future__ import annotations`` the class's
    # own __required_keys__ cannot see it.
    assert {key for key, hint in hints.items() if typing.get_origin(hint) is Required} == {f.alias if f.alias is not None else name for name, f in fields.items() if f.is_required()}


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_each_typed_constructor_takes_exactly_the_models_fields_by_keyword(model):
    init = _typed_init(model)
    assert not init.args.posonlyargs
    assert [a.arg for a in init.args.args] == ["self"]
    assert [a.arg for a in init.args.kwonlyargs] == list(model.model_fields)
    required = [a.arg for a, default in zip(init.args.kwonlyargs, init.args.kw_defaults, strict=True) if default is None]
    assert required == [name for name, field in model.model_fields.items() if field.is_required()]


def test_at_run_time_the_constructor_is_pydantics_own():
    """The typed constructor exists for type checkers only: nothing wraps pydantic's (so pydantic
    validates nested dicts itself, and no private hook of pydantic's is needed)."""
    for model in MODELS:
        own = [k.__name__ for k in model.__mro__ if issubclass(k, BaseModel) and k is not BaseModel and "__init__" in vars(k)]
        assert own == [], model.__name__


def test_keywords_dicts_and_the_stack_files_spelling_give_the_same_args():
    by_keyword = TenantNamespaceArgs(
        labels={"team": "shop"}, pod_security="restricted", quota={"requests.cpu": "4"}, limits={"container": {"defaultRequest": {"cpu": "100m"}}}
    )
    from_dict = args_for(
        TenantNamespaceArgs,
        {"labels": {"team": "shop"}, "podSecurity": "restricted", "quota": {"requests.cpu": "4"}, "limits": {"container": {"defaultRequest": {"cpu": "100m"}}}},
        "TenantNamespace",
        "shop",
    )
    assert by_keyword == from_dict
    assert by_keyword.pod_security is not None
    assert by_keyword.pod_security.enforce == "restricted"


COMPONENTS = sorted(
    {value for module in MODULES for value in vars(module).values() if isinstance(value, type) and issubclass(value, pulumi.ComponentResource)}
    - {pulumi.ComponentResource},
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("component", COMPONENTS, ids=[c.__name__ for c in COMPONENTS])
def test_each_component_input_outside_its_args_says_why(component):
    """A constructor's inputs are its Args; any other (``dns=``, ``cluster=``, ``environment=``, a map
    of Args) is named in the constructor's docstring with the reason it is not in the Args."""
    extra = [name for name in inspect.signature(component.__init__).parameters if name not in ("self", "resource_name", "args", "opts")]
    undocumented = [name for name in extra if f"``{name}``" not in (component.__init__.__doc__ or "")]
    assert undocumented == []


TYPED_PROGRAM = """
    from __future__ import annotations

    import pulumi

    from clusterstack.components import ClusterSpec, NodePool, NodePoolArgsDict, TenantNamespaceArgs, TenantNamespaceArgsDict

    team: pulumi.Output[str] = pulumi.Output.from_input("shop")
    args = TenantNamespaceArgs(
        name=team,
        labels={"team": team},
        pod_security="restricted",
        quota={"requests.cpu": "4", "pods": 20},
        quotas=[{"name": "batch", "hard": {"pods": "10"}}],
        limits={"container": {"defaultRequest": {"cpu": "100m"}}},
        network_policy={"defaultDeny": ["Ingress"], "allowDNS": True},
    )
    as_dict: TenantNamespaceArgsDict = {"podSecurity": {"enforce": "baseline"}, "quota": {"cpu": "2"}}
    pool: NodePoolArgsDict = {"name": "general", "count": 3, "cpu": "4", "memory": "16Gi"}
    spec = ClusterSpec(node_pools=[pool, NodePool(name="big", count=1, cpu=8, memory="64Gi")])
    misspelt = TenantNamespaceArgs(lables={"team": "shop"})
    wrong_level = TenantNamespaceArgs(pod_security="strict")
    missing: NodePoolArgsDict = {"name": "general", "count": 3}
"""


def test_a_type_checker_takes_what_a_caller_writes_and_names_a_misspelt_keyword(tmp_path: Path):
    """mypy --strict as a user runs it (no pydantic plugin): the README-style calls pass; a misspelt
    keyword, a level that does not exist and an ArgsDict missing a required key are each an error."""
    (tmp_path / "program.py").write_text(textwrap.dedent(TYPED_PROGRAM))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", sys.executable, "program.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=600,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    lines = sorted({int(line.split(":")[1]) for line in errors})
    assert lines == [21, 22, 23], done.stdout + done.stderr
    assert 'Unexpected keyword argument "lables"' in done.stdout
    assert '"cpu", "memory"' in done.stdout or "Missing keys" in done.stdout


def _typed_init(model: type[Model]) -> ast.FunctionDef:
    """The generated ``__init__`` in the model's class, as the source holds it."""
    tree = ast.parse(Path(inspect.getfile(model)).read_text())
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == model.__name__)
    for statement in cls.body:
        if isinstance(statement, ast.If) and isinstance(statement.test, ast.Name) and statement.test.id == "TYPE_CHECKING":
            return next(s for s in statement.body if isinstance(s, ast.FunctionDef) and s.name == "__init__")
    raise AssertionError(f"{model.__name__} has no typed constructor")


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        found |= {sub, *_subclasses(sub)}
    return found
