"""The ``clusterstack`` command: a thin shell over the stack loader, the engine and the analyses.
It parses, calls, prints.

A ClusterstackError (anything the user can fix) is printed as ``error: <file>: <key>: <what>`` lines
and exits 1, without a traceback.
"""

from __future__ import annotations

from . import analysis_commands, engine_commands, stack_commands
from .app import cli

__all__ = ["analysis_commands", "cli", "engine_commands", "main", "stack_commands"]


def main() -> None:
    cli(prog_name="clusterstack")
