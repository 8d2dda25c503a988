"""Evaluate a stack: run its Pulumi program under the mock runtime and collect the Kubernetes objects.

This is what both ``render`` and the engine's desired set are made of. It works for any program
that registers pulumi-kubernetes resources, not only clusterstack's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClusterstackError, Problem
from ..kube.kinds import ObjectKey
from ..kube.lifecycle import Deletion
from ..kube.manifest import SHOWN
from ..stack.files import ProgramConfig, StackConfig, program_config, read_stack
from ..stack.project import Project
from ..stack.target import TargetSettings, target_problem
from .cache import EvaluationCache, Reads, cache_directory, key, loaded_modules, recording
from .evalpath import mode
from .failure import ProgramExit, program_exited, program_failed
from .options import ReplaceOptions, parse_property_path

if TYPE_CHECKING:
    from ..stack.spec import Loaded
    from . import _sdk

# Pulumi (``_sdk``, ``loader``) and the models (``load_spec``) load when a program runs, not when
# this module is imported: the engine's other commands, and a cached evaluation, need neither.

KUBERNETES_TYPE_PREFIX = "kubernetes:"


@dataclass(frozen=True)
class Component:
    type: str
    name: str

    def __str__(self) -> str:
        if self.type == "pulumi:pulumi:Stack":
            return self.name
        return f"{self.type.rpartition(':')[2]} {self.name}"


PROGRAM = Component("pulumi:pulumi:Stack", "(program)")
"""What declares a resource the program registers outside any component."""


@dataclass(frozen=True)
class Declared:
    """One Kubernetes object the program declares."""

    key: ObjectKey
    type: str
    """The Pulumi type token, e.g. kubernetes:core/v1:Namespace."""
    name: str
    """The Pulumi logical name."""
    component: Component
    manifest: dict[str, Any]
    patch: bool = False
    """A server-side-apply patch of an object the cluster already has (a pulumi-kubernetes ``...Patch``)."""
    deletion: Deletion = "delete"
    """How the program holds it: Pulumi's ``protect`` or ``retainOnDelete`` options, or neither."""
    replace_on_changes: tuple[str, ...] = ()
    """Pulumi's ``replaceOnChanges`` option: a change to a property at or below one of these paths
    replaces the object."""
    delete_before_replace: bool | None = None
    """Pulumi's ``deleteBeforeReplace`` option: True, the old object goes first; False, the new one
    comes first; None (unset), as pulumi-kubernetes asks (first, for its own reasons on a named object)."""
    secret_values: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The top-level properties the program marked secret, in plain text; ``manifest`` holds ``[secret]``
    for each (engine/secrets.py). Held in memory only: never cached, stored or printed."""


@dataclass(frozen=True)
class Evaluation:
    stack: str
    config: StackConfig
    warnings: list[Problem]
    """What validating the stack found: valid settings that will hurt."""
    kubernetes_version: str
    target: TargetSettings
    objects: list[Declared]
    """Sorted in apply order (kind rank, then namespace and name)."""
    outputs: dict[str, Any]
    providers: dict[str, dict[str, Any]]
    """Each cluster's pulumi-kubernetes provider settings, by cluster ("" for the default provider:
    the stack's ``kubernetes:`` config)."""

    def replace_options(self) -> dict[ObjectKey, ReplaceOptions]:
        """The options that decide how each object is replaced, for the objects that set any: what
        ``plan`` takes as its ``options``."""
        return {
            d.key: ReplaceOptions(d.replace_on_changes, d.delete_before_replace)
            for d in self.objects
            if d.replace_on_changes or d.delete_before_replace is not None
        }

    @property
    def holds_secrets(self) -> bool:
        """Whether an object holds a value the program marked secret (kept aside in memory, never in
        ``to_json``: such an evaluation is not cached, cache.py). Secret exports need no such care: the
        outputs hold them as ``[secret]`` already."""
        return any(d.secret_values for d in self.objects)

    def to_json(self) -> dict[str, Any]:
        """Everything but the stack's config (which is read anew each time), for the cache and a saved
        plan's evaluation digest. Secret values are ``[secret]`` in it, so what holds secrets cannot be
        restored from it: the cache never takes such an evaluation (``holds_secrets``)."""
        return {
            "warnings": [[w.file, w.path, w.message] for w in self.warnings],
            "kubernetesVersion": self.kubernetes_version,
            "target": self.target.to_json(),
            "objects": [
                {
                    "key": d.key.to_json(),
                    "type": d.type,
                    "name": d.name,
                    "component": [d.component.type, d.component.name],
                    "manifest": d.manifest,
                    "patch": d.patch,
                    "deletion": d.deletion,
                    "replaceOnChanges": list(d.replace_on_changes),
                    "deleteBeforeReplace": d.delete_before_replace,
                }
                for d in self.objects
            ],
            "outputs": self.outputs,
            "providers": self.providers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], config: StackConfig) -> Evaluation:
        objects = [
            Declared(
                ObjectKey.from_json(o["key"]), o["type"], o["name"], Component(*o["component"]), o["manifest"], o["patch"], o["deletion"],
                tuple(o["replaceOnChanges"]), o["deleteBeforeReplace"],
            )
            for o in data["objects"]
        ]  # fmt: skip
        warnings = [Problem(*w) for w in data["warnings"]]
        target = TargetSettings.from_json(data["target"])
        return cls(config.stack, config, warnings, data["kubernetesVersion"], target, objects, data["outputs"], data["providers"])


def evaluate(project: Project, config: StackConfig, spec: Loaded, program: ProgramConfig | None = None) -> Evaluation:
    """Run the project's program on a stack already read and validated (the program is handed the
    spec, so it reads no stack file); raises ClusterstackError on any user error. ``program``: the
    config the program gets (default: the stack file's, as the Pulumi CLI would hand it over)."""
    from . import _sdk
    from .loader import hand_over

    given = program if program is not None else program_config(project, config.stack_layer)
    try:
        run = _sdk.run_program(
            project.main,
            project=project.name,
            stack=config.stack,
            config=given.values,
            secret_keys=given.secret_keys,
            inherit=[hand_over(project.root, config.stack, spec)],
        )
    except ClusterstackError:
        raise
    except ProgramExit as exited:
        raise program_exited(exited.code, project.display(project.main)) from None
    except Exception as error:  # noqa: BLE001 - a failing user program is a user error, reported without a traceback
        raise program_failed(error, project.main, project.display(project.main)) from None
    providers = {"": config.provider_values()}
    for registration in run.registrations:
        if registration.type == "pulumi:providers:kubernetes":
            providers[registration.name] = dict(registration.inputs)
    objects = collect(run, project.display(project.main))
    return Evaluation(
        config.stack, config, spec.warnings, spec.args.cluster.kubernetes_version, spec.args.target.settings(), objects, _sdk.masked(run.outputs), providers
    )


class Evaluator:
    """A stack read, then validated and evaluated, or answered from its cache (cache.py) when nothing
    the last evaluation read has changed: then neither the models nor Pulumi are even imported."""

    def __init__(self, project: Project, stack: str, state_dir: Path | None = None, *, guarded: Path | None = None) -> None:
        """``state_dir``: the stack's state directory, whose ``cache/`` (or $CLUSTERSTACK_CACHE_DIR)
        holds the cached evaluation; None for no cache. ``guarded``: the state directory (when it is not
        ``state_dir``), which the target must stay out of."""
        self.project = project
        self.state_dir = state_dir if state_dir is not None else guarded
        self.config = read_stack(project, stack)
        # The program's config is made before the cache is asked: a stack with secure values is refused
        # without its passphrase (or with a wrong one) even when an earlier evaluation could answer.
        self.program = program_config(project, self.config.stack_layer)
        self.cache = EvaluationCache(cache_directory(state_dir), stack) if state_dir is not None else None
        self.path = mode()
        self.reads = Reads()
        self.cached: Evaluation | None = None
        self.spec: Loaded | None = None
        hit = self.cache.lookup(project, self.config, self.path) if self.cache is not None else None
        if hit is not None:
            self.cached = Evaluation.from_json(hit, self.config)
        else:
            from ..stack.spec import load_spec

            with recording(self.reads):
                self.spec = load_spec(self.config)
        self._check_target()

    def _check_target(self) -> None:
        """The target is a directory of its own (stack/target.py, ``target_problem``), and not a file."""
        root = self.target.directory(self.project.root, self.config.stack)
        where = ("clusterstack:target", "path")
        state_dirs = [self.project.root / ".clusterstack", *([self.state_dir] if self.state_dir is not None else [])]
        problem = target_problem(root, self.project.root, state_dirs, self.project.stack_dir, self.target.allow_outside_project)
        if problem is not None:
            raise ClusterstackError([self.config.problem(where, problem)])
        if root.exists() and not root.is_dir():
            raise ClusterstackError([self.config.problem(where, f"{root} is a file; the target is a directory: choose another path")])

    @property
    def warnings(self) -> list[Problem]:
        return self.cached.warnings if self.cached is not None else self._spec().warnings

    @property
    def target(self) -> TargetSettings:
        return self.cached.target if self.cached is not None else self._spec().args.target.settings()

    def _spec(self) -> Loaded:
        assert self.spec is not None, "validated when not cached"
        return self.spec

    def evaluate(self) -> Evaluation:
        if self.cached is None:
            with recording(self.reads):
                evaluation = evaluate(self.project, self.config, self._spec(), self.program)
            # Not cached at all rather than encrypted when it may hold a secret (a secret Output in an
            # object, or decrypted secret config the program may have built into an output): a key beside
            # the cache would guard nothing from whoever reads the cache, and evaluating such a stack
            # costs what a cold preview does.
            if self.cache is not None and not evaluation.holds_secrets and not self.program.secret_keys:
                self.cache.save(key(self.project, self.config, self.reads, loaded_modules(), self.path), evaluation.to_json())
            self.cached = evaluation
        return self.cached


def evaluate_stack(project: Project, stack: str, state_dir: Path | None = None) -> Evaluation:
    """Read and validate the stack's files, then run the program on it (or answer from the cache of
    the state directory ``state_dir``, when given and still valid)."""
    return Evaluator(project, stack, state_dir).evaluate()


def collect(run: _sdk.ProgramRun, program: str = "the program") -> list[Declared]:
    """The Kubernetes objects ``run`` declared, in apply order. Two resources with one URN (which the
    Pulumi engine refuses), or two declarations of one Kubernetes object, are a ClusterstackError."""
    from . import _sdk

    by_urn = {r.urn: r for r in run.registrations}
    problems = [Problem(program, "", f"{_sdk.duplicate_message(duplicate, by_urn)} (pulumi preview refuses it the same way)") for duplicate in run.duplicates]
    if problems:
        raise ClusterstackError(problems)
    found: dict[ObjectKey, Declared] = {}
    twice = []
    malformed = []
    for registration in run.registrations:
        if not (registration.custom and registration.type.startswith(KUBERNETES_TYPE_PREFIX)):
            continue
        if registration.type.startswith("kubernetes:yaml") or registration.type == "pulumi:providers:kubernetes":
            continue
        patch = registration.type.endswith("Patch")
        manifest = _whole_numbers(registration.inputs)
        secret_values = {name: manifest[name] for name in sorted(registration.secrets) if name in manifest}
        manifest = {**manifest, **dict.fromkeys(secret_values, SHOWN)}
        declared = Declared(
            key=ObjectKey.of(registration.inputs, cluster_of(registration)),
            type=registration.type,
            name=registration.name,
            component=_component(registration, by_urn),
            manifest=_without_patch_instructions(manifest) if patch else manifest,
            patch=patch,
            deletion="protect" if registration.protect else "retain" if registration.retain_on_delete else "delete",
            replace_on_changes=registration.replace_on_changes,
            delete_before_replace=registration.delete_before_replace,
            secret_values=secret_values,
        )
        malformed += _malformed_paths(declared, program)
        if registration.ignore_changes:
            # pulumi up would keep the old values at these paths on an update (step_generator.go,
            # processIgnoreChanges); a plan that showed them changing would differ from it unsaid.
            malformed.append(
                Problem(
                    program, "",
                    f"{declared.name} in {declared.component}: the ignoreChanges option ({', '.join(registration.ignore_changes)}) is not honoured "
                    "by the embedded engine; remove it, or preview and apply this program with the Pulumi CLI",
                )
            )  # fmt: skip
        earlier = found.get(declared.key)
        if earlier is not None:
            twice.append(
                f"{declared.key} is declared twice: by {earlier.name} in {earlier.component} "
                f"and by {declared.name} in {declared.component}"
            )
            continue
        found[declared.key] = declared
    if twice or malformed:
        raise ClusterstackError([*sorted(twice), *malformed])
    return sorted(found.values(), key=lambda d: d.key.sort_key())


def _malformed_paths(declared: Declared, program: str) -> list[Problem]:
    """A ``replaceOnChanges`` path the Pulumi engine could not parse: it fails the deployment as soon
    as the object changes (step_generator.go, applyReplaceOnChanges); here, before anything is planned."""
    problems = []
    for path in declared.replace_on_changes:
        try:
            parse_property_path(path)
        except ValueError as error:
            reason = f"replaceOnChanges {path!r} is not a property path ({error}); write one as 'value', 'spec.selector', 'data[\"a.b\"]' or '*'"
            problems.append(Problem(program, "", f"{declared.name} in {declared.component}: {reason}"))
    return problems


def cluster_of(registration: _sdk.Registration) -> str:
    """The cluster a resource goes to: its Kubernetes provider's name, or "" for the default provider."""
    if not registration.provider:
        return ""
    provider_urn = registration.provider.rsplit("::", 1)[0]
    name = provider_urn.split("::")[-1]
    return "" if name == "default" or name.startswith("default_") else name


def _without_patch_instructions(manifest: dict[str, Any]) -> dict[str, Any]:
    """A patch as the cluster receives it: the pulumi.com/patch* annotations instruct the provider."""
    meta = dict(manifest["metadata"])
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith("pulumi.com/patch")}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**manifest, "metadata": meta}


def _whole_numbers(value: dict[str, Any]) -> dict[str, Any]:
    """Pulumi carries every number as a double; a manifest's ports and counts are integers again.
    Copied only where a number changes: the rest is the registration's own (which the run made
    for itself and drops after this), so a manifest without numbers costs nothing more."""
    return _whole(value)  # type: ignore[no-any-return]  # a dict stays a dict


def _whole(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is not dict and kind is not list:
        return value
    copied: Any = None
    for at, item in value.items() if kind is dict else enumerate(value):
        if type(item) is str:  # most of a manifest
            continue
        whole = _whole(item)
        if whole is not item:
            if copied is None:
                copied = dict(value) if kind is dict else list(value)
            copied[at] = whole
    return value if copied is None else copied


def _component(registration: _sdk.Registration, by_urn: dict[str, _sdk.Registration]) -> Component:
    parent = by_urn.get(registration.parent)
    while parent is not None and parent.custom:
        parent = by_urn.get(parent.parent)
    return Component(parent.type, parent.name) if parent is not None else PROGRAM
