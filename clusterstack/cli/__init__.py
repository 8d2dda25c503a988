"""The ``clusterstack`` command: a thin shell over the stack loader, the engine and the analyses.
It parses, calls, prints.

A ClusterstackError (anything the user can fix) is printed as ``error: <file>: <key>: <what>`` lines
and exits 1, without a traceback.
"""

from __future__ import annotations

import gc
import os

import click

from .. import FIELD_DOCS_ENV
from ..engine.faults import signals_unwind
from . import adopt_commands, analysis_commands, engine_commands, stack_commands
from .app import cli, shared_options


def _share_options(group: click.Group) -> None:
    for command in group.commands.values():
        command.params.extend(shared_options())
        if isinstance(command, click.Group):
            _share_options(command)


_share_options(cli)

__all__ = ["adopt_commands", "analysis_commands", "cli", "engine_commands", "main", "stack_commands"]


def main() -> None:
    # A command is one short process that allocates much and frees little (objects, state, plans):
    # the cyclic garbage collector would spend a third of a large preview walking what is still in
    # use. Reference counting frees the rest; bench/preview.py reports the peak RSS this costs.
    gc.disable()
    # The models' field docstrings are the schema's descriptions only: not read unless a command
    # prints the schema (which sets it back before it imports them).
    os.environ.setdefault(FIELD_DOCS_ENV, "0")
    # SIGTERM and SIGHUP unwind whatever the command does, like Ctrl-C: no temporary file, no lock left.
    try:
        with signals_unwind():
            cli(prog_name="clusterstack")
    finally:
        # The interpreter's last act is one full collection, collector disabled or not, which walks
        # every object the command made (a third of a large preview). Frozen objects are outside
        # every generation it walks; reference counting and the exit free the memory as before.
        gc.freeze()
