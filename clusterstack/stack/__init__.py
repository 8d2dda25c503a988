"""Stack files -> validated spec: the project (Pulumi.yaml), its stack files layered over
common.yaml, and the spec they validate into. This is all the Pulumi program needs besides the
component library; nothing here imports the embedded engine."""

from .files import StackConfig, read_stack
from .project import Project
from .spec import Loaded, StackSpec, TargetSpec, load_spec

__all__ = ["Loaded", "Project", "StackConfig", "StackSpec", "TargetSpec", "load_spec", "read_stack"]
