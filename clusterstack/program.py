"""What the Pulumi program (``__main__.py``) calls to get its stack's spec, under either engine.

Under ``pulumi up`` the stack file's values arrive as Pulumi config; under ``clusterstack`` the
engine passes the same values through the mock runtime. Either way common.yaml is read from disk
and merged underneath, and the result is validated exactly as ``clusterstack validate`` does.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components import ClusterPlatformArgs

from . import _sdk
from .errors import ClusterstackError
from .project import Project
from .spec import load_platform
from .stackconfig import stack_from_pulumi_config


def stack_args(project_dir: Path | str) -> ClusterPlatformArgs:
    """The current stack's ClusterPlatformArgs; a RunError listing every problem when the stack is invalid."""
    project = Project.load(project_dir)
    values, secret_keys = _sdk.program_config()
    try:
        config = stack_from_pulumi_config(project, pulumi.get_stack(), values, secret_keys)
        loaded = load_platform(config)
    except ClusterstackError as error:
        raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None
    for warning in loaded.warnings:
        pulumi.log.warn(str(warning))
    return loaded.args
