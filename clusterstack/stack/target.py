"""``clusterstack:target`` as the engine uses it: plain values, readable without the models (a cached
evaluation carries them, and the engine opens its target from them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, get_args

Layout = Literal["object", "namespace"]
Secrets = Literal["omit", "plaintext"]
"""How a directory target lays its objects out in files (engine/target.py)."""
GitOps = Literal["none", "argocd", "flux"]
"""The GitOps controller that reads the directory target (engine/gitops.py annotates for it)."""
GITOPS: tuple[GitOps, ...] = get_args(GitOps)


@dataclass(frozen=True)
class TargetSettings:
    path: str | None = None
    """The directory, relative to the project; None for deploy/<stack>."""
    layout: Layout = "object"
    kustomization: bool = True
    secrets: Secrets = "omit"
    """``plaintext``: the directory target writes objects holding secret values, 0600; ``omit``: it does not."""
    allow_outside_project: bool = False
    """A ``path`` outside the project is refused unless the stack says so (``allowOutsideProject``)."""
    gitops: GitOps = "none"
    """``argocd``: sync waves by kind; ``flux``: Flux's own kind order; both: patches, protected and
    retained objects never pruned."""

    def directory(self, project_root: Path, stack: str) -> Path:
        """Where the target is: ``path`` (relative to the project), or deploy/<stack>."""
        path = Path(self.path) if self.path is not None else Path("deploy") / stack
        return path if path.is_absolute() else project_root / path

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetSettings:
        secrets: Secrets = "plaintext" if data.get("secrets") == "plaintext" else "omit"
        return cls(
            data.get("path"), data.get("layout", "object"), bool(data.get("kustomization", True)), secrets=secrets,
            allow_outside_project=bool(data.get("allow_outside_project", False)), gitops=_gitops(data.get("gitops")),
        )  # fmt: skip


def _gitops(value: Any) -> GitOps:
    """A cached evaluation's setting (one from before the setting existed: none)."""
    for known in GITOPS:
        if value == known:
            return known
    return "none"


SYSTEM_DIRECTORIES = tuple(
    Path(p) for p in ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/usr", "/var")
)
"""Trees no target may be in, whatever the stack allows: the operating system's."""


def target_problem(directory: Path, project_root: Path, state_dirs: list[Path], stack_dir: Path, allow_outside: bool) -> str | None:
    """What is wrong with ``directory`` as a stack's target, or None. A target is a directory of
    clusterstack's own: never the project (or a directory holding it), never inside ``.git``, the
    state directory or the stack files' directory, never outside the project unless the stack allows
    it, and never ``/``, the home directory or the operating system's directories at all."""
    target = directory.resolve()  # through symlinks: where the files would really go
    project = project_root.resolve()
    home = Path.home().resolve()
    if target == project:
        return "is the project's own directory; give the target one of its own, such as deploy/<stack>"
    if project.is_relative_to(target):
        return f"{directory} holds the project's directory; give the target one of its own, such as deploy/<stack>"
    if ".git" in target.parts:
        return f"{directory} is inside a git repository's .git directory; choose a directory of its own, such as deploy/<stack>"
    for state in state_dirs:
        resolved = state.resolve()
        if target.is_relative_to(resolved) or resolved.is_relative_to(target):
            return f"{directory} is or holds clusterstack's state directory {state}; choose another directory, such as deploy/<stack>"
    stacks = stack_dir.resolve()
    if stacks != project and (target.is_relative_to(stacks) or stacks.is_relative_to(target)):
        return f"{directory} is or holds the stack files' directory {stack_dir}; choose another directory, such as deploy/<stack>"
    if target == Path(target.anchor) or target == home or (home.is_relative_to(target) and target != home):
        return f"{directory} is the file system's root or holds the home directory; no target may be there"
    if any(target == system or target.is_relative_to(system) for system in SYSTEM_DIRECTORIES):
        return f"{directory} is among the operating system's directories; no target may be there"
    if not target.is_relative_to(project) and not allow_outside:
        return (
            f"{directory} is outside the project ({project_root}); keep the target inside it (deploy/<stack>), "
            "or say allowOutsideProject: true in clusterstack:target if that is intended"
        )
    return None
