"""Evaluate a stack: run its Pulumi program under the mock runtime and collect the Kubernetes objects.

This is what both ``render`` and the engine's desired set are made of. It works for any program
that registers pulumi-kubernetes resources, not only clusterstack's own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClusterstackError, Problem
from ..kube.kinds import ObjectKey
from ..kube.manifest import SHOWN
from ..stack.files import ProgramConfig, StackConfig, parse_stack, program_config, read_stack_source
from ..stack.project import Project
from ..stack.target import TargetSettings, target_problem
from .cache import EvaluationCache, Reads, cache_directory, key, loaded_modules, recording
from .evalpath import mode
from .evaluation import PROGRAM, Component, Declared, Decoded, Evaluation
from .failure import ProgramExit, program_exited, program_failed
from .options import parse_property_path

if TYPE_CHECKING:
    from ..stack.spec import Loaded
    from . import _sdk

# Pulumi (``_sdk``, ``loader``) and the models (``load_spec``) load when a program runs, not when
# this module is imported: the engine's other commands, and a cached evaluation, need neither.

KUBERNETES_TYPE_PREFIX = "kubernetes:"
# Declared and Evaluation (evaluation.py) are known to callers by this module too.
__all__ = ["KUBERNETES_TYPE_PREFIX", "Declared", "Evaluation", "Evaluator", "cluster_of", "collect", "evaluate", "evaluate_stack"]


def evaluate(
    project: Project, config: StackConfig, spec: Loaded, program: ProgramConfig | None = None, read_config: Callable[[], StackConfig] | None = None
) -> Evaluation:
    """Run the project's program on a stack already read and validated (the program is handed the
    spec, so it reads no stack file); raises ClusterstackError on any user error. ``program``: the
    config the program gets (default: the stack file's, as the Pulumi CLI would hand it over);
    ``read_config``: how the evaluation gets the config when asked (default: it keeps ``config``)."""
    from . import _sdk
    from .loader import hand_over

    given = program if program is not None else program_config(project, config.stack_layer)
    variable, handed = hand_over(project.root, config.stack, spec)
    try:
        run = _sdk.run_program(
            project.main,
            project=project.name,
            stack=config.stack,
            config=given.values,
            secret_keys=given.secret_keys,
            inherit=[(variable, handed)],
            release=True,  # only the registrations are used from here on
        )
    except ClusterstackError:
        raise
    except ProgramExit as exited:
        raise program_exited(exited.code, project.display(project.main)) from None
    except Exception as error:  # noqa: BLE001 - a failing user program is a user error, reported without a traceback
        raise program_failed(error, project.main, project.display(project.main)) from None
    finally:
        handed.release()
    providers = {"": config.provider_values()}
    for registration in run.registrations:
        if registration.type == "pulumi:providers:kubernetes":
            providers[registration.name] = dict(registration.inputs)
    objects = collect(run, project.display(project.main))
    return Evaluation(
        config.stack, read_config if read_config is not None else lambda: config, spec.warnings, spec.args.cluster.kubernetes_version,
        spec.args.target.settings(), lambda: objects, _sdk.masked(run.outputs), providers,
    )  # fmt: skip


class Evaluator:
    """A stack read, then validated and evaluated, or answered from its cache (cache.py) when nothing
    the last evaluation read has changed: then the stack's files are read but not parsed, and neither
    the models nor Pulumi are even imported."""

    def __init__(self, project: Project, stack: str, state_dir: Path | None = None, *, guarded: Path | None = None) -> None:
        """``state_dir``: the stack's state directory, whose ``cache/`` (or $CLUSTERSTACK_CACHE_DIR)
        holds the cached evaluation; None for no cache. ``guarded``: the state directory (when it is not
        ``state_dir``), which the target must stay out of."""
        self.project = project
        self.stack = stack
        self.state_dir = state_dir if state_dir is not None else guarded
        self.source = read_stack_source(project, stack)
        self.cache = EvaluationCache(cache_directory(state_dir), stack) if state_dir is not None else None
        self.path = mode()
        self.reads = Reads()
        self.cached: Evaluation | None = None
        self.spec: Loaded | None = None
        self._config: StackConfig | None = None
        self._program: ProgramConfig | None = None
        self.digest: str | None = None
        """What the cache knows the evaluation by (None when it is not cached)."""
        hit = self.cache.lookup(project, self.source, self.path) if self.cache is not None else None
        if self.cache is not None and hit is not None:
            # Parsing and validating the stack is most of a cached command's work at scale, and its
            # answer is known: the key holds the digests of these very bytes (and of Pulumi.yaml, and
            # of the code that parses them), which parsed without a problem and validated with the
            # warnings the evaluation keeps. Nor would the program's config refuse them: an evaluation
            # is cached only when no value is secret (``evaluate``), so they hold no secure value.
            self.cached = Evaluation.restore(hit.summary, Decoded(hit.objects, self._objects_after_all), stack, self._read_config)
            self.digest = hit.digest if self.cached is not None else None
        if self.cached is None:
            self._validate()
        self._check_target()

    def _validate(self) -> None:
        # The program's config is made before the stack is validated: a stack with secure values is
        # refused without its passphrase (or with a wrong one) before anything else.
        self._program_config()
        from ..stack.spec import load_spec

        with recording(self.reads):
            self.spec = load_spec(self.config)

    def _objects_after_all(self) -> list[Declared]:
        """The objects when the cache's turn out not to be the ones it wrote (its summary was): the
        stack is validated and the program run after all, and its evaluation cached anew."""
        self.cached, self.digest = None, None
        self._validate()
        evaluation = self.evaluate()
        if evaluation.holds_secrets:  # what its cached summary said it was made of cannot hold them (never cached)
            raise ClusterstackError([f"{self.project.display(self.project.main)}: the program now declares secret values it did not; run the command again"])
        return evaluation.objects

    @property
    def config(self) -> StackConfig:
        """The stack's files parsed, from the bytes read once (when first asked for)."""
        return self._read_config()

    def _read_config(self) -> StackConfig:
        if self._config is None:
            self._config = parse_stack(self.project, self.source)
        return self._config

    def _program_config(self) -> ProgramConfig:
        if self._program is None:
            self._program = program_config(self.project, self.config.stack_layer)
        return self._program

    def _check_target(self) -> None:
        """The target is a directory of its own (stack/target.py, ``target_problem``), and not a file."""
        root = self.target.directory(self.project.root, self.stack)
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
            program = self._program_config()
            with recording(self.reads):
                evaluation = evaluate(self.project, self.config, self._spec(), program, self._read_config)
            # The evaluation holds what it needs of the spec (its warnings, target, Kubernetes version);
            # the models and the parsed stack, 60 MiB at 10,000 namespaces, go before the plan is made.
            # A command that asks for the config after all (reach) has it parsed again from the bytes read.
            self.spec = None
            self._config = None
            # Not cached at all rather than encrypted when it may hold a secret (a secret Output in an
            # object, or decrypted secret config the program may have built into an output): a key beside
            # the cache would guard nothing from whoever reads the cache, and evaluating such a stack
            # costs what a cold preview does.
            if self.cache is not None and not evaluation.holds_secrets and not program.secret_keys:
                self.digest = self.cache.save(key(self.project, self.source, self.reads, loaded_modules(), self.path), evaluation.to_json())
            self.cached = evaluation
        return self.cached

    def unchanged_against(self, state: str) -> bool:
        """Whether a plan found this evaluation equal to the state whose file has the digest ``state``."""
        return self._restored() and self.cache is not None and self.digest is not None and self.cache.unchanged(self.digest, state)

    def remember_unchanged(self, state: str) -> None:
        """Note that a plan found this evaluation equal to the state whose file has the digest ``state``."""
        if self._restored() and self.cache is not None and self.digest is not None:
            self.cache.remember_unchanged(self.digest, state)

    def _restored(self) -> bool:
        """The evaluation is the cache's: what is planned is exactly what the cache holds (an evaluation
        just made has not been through JSON), so a verdict on one holds for the other."""
        return self.cached is not None and self.cached.restored


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
    components: dict[str, Component] = {}
    twice = []
    malformed = []
    for registration in run.registrations:
        if not (registration.custom and registration.type.startswith(KUBERNETES_TYPE_PREFIX)):
            continue
        if registration.type.startswith("kubernetes:yaml") or registration.type == "pulumi:providers:kubernetes":
            continue
        patch = registration.type.endswith("Patch")
        manifest = _whole_numbers(registration.inputs, registration.numbers)
        secret_values = {name: manifest[name] for name in sorted(registration.secrets) if name in manifest} if registration.secrets else {}
        if secret_values:
            manifest = {**manifest, **dict.fromkeys(secret_values, SHOWN)}
        declared = Declared(
            key=ObjectKey.of(registration.inputs, cluster_of(registration)),
            type=registration.type,
            name=registration.name,
            component=_component(registration, by_urn, components),
            manifest=_without_patch_instructions(manifest) if patch else manifest,
            patch=patch,
            deletion="protect" if registration.protect else "retain" if registration.retain_on_delete else "delete",
            replace_on_changes=registration.replace_on_changes,
            delete_before_replace=registration.delete_before_replace,
            secret_values=secret_values,
        )
        if declared.replace_on_changes:
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


def _whole_numbers(value: dict[str, Any], numbers: frozenset[str] | None = None) -> dict[str, Any]:
    """Pulumi carries every number as a double; a manifest's ports and counts are integers again.
    Copied only where a number changes: the rest is the registration's own (which the run made
    for itself and drops after this), so a manifest without numbers costs nothing more.
    ``numbers``: the properties that hold any number, when the run knows them (the others are not
    looked through); None: every property is."""
    if numbers is None:
        return _whole(value)  # type: ignore[no-any-return]  # a dict stays a dict
    copied = None
    for name in numbers:
        if name in value:
            item = value[name]
            whole = _whole(item)
            if whole is not item:
                if copied is None:
                    copied = dict(value)
                copied[name] = whole
    return value if copied is None else copied


def _whole(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is not dict and kind is not list:
        return value
    copied: Any = None
    for at, item in value.items() if kind is dict else enumerate(value):
        inner = type(item)
        # Only a number or a container can change: most of a manifest (strings) is passed over
        # without a call, and so is a number that is not whole.
        if inner is float:
            if not item.is_integer():
                continue
            whole: Any = int(item)
        elif inner is dict or inner is list:
            whole = _whole(item)
            if whole is item:
                continue
        else:
            continue
        if copied is None:
            copied = dict(value) if kind is dict else list(value)
        copied[at] = whole
    return value if copied is None else copied


def _component(registration: _sdk.Registration, by_urn: dict[str, _sdk.Registration], known: dict[str, Component]) -> Component:
    """The component that declared ``registration``; ``known``: those found so far, by the parent's URN
    (a component's objects are siblings: the one Component for them all)."""
    component = known.get(registration.parent)
    if component is None:
        parent = by_urn.get(registration.parent)
        while parent is not None and parent.custom:
            parent = by_urn.get(parent.parent)
        component = known[registration.parent] = Component(parent.type, parent.name) if parent is not None else PROGRAM
    return component
