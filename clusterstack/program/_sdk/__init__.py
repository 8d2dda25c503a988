"""Pulumi programs run in-process under the SDK's mock runtime: what they register and export.

One job per module, imports flowing down this list:

- ``runner``: runs a program (a function or a program file) to completion, each run on its own
  event loop and in a fresh context, on the fast path or the SDK's own (``evalpath``);
- ``monitor``: the mock monitor the resources register with, naming them as the Pulumi engine does
  and recording every registration (``goals``: what the engine does to a request that the SDK's
  mocks do not: inheritance from the parent, transforms);
- ``fast``: the fast path, registering what it can the moment a resource is constructed (a check,
  then a commit); ``taking``: what it takes of a registration, each part checked; ``wire``: the
  values and Outputs it emulates;
- ``records``: what a run records (``Registration``, ``Duplicate``, ``ProgramRun``) and how the
  engine spells URNs and error 2001; ``exports``: the stack's exports, resolved, secrets masked;
- ``pulumi_internals``: the one module that touches the SDK's internals, each listed with what it is
  for and the SDK versions it is proven on (tests/test_pulumi_internals.py keeps it the only one).
"""

from __future__ import annotations

from .exports import SECRET_EXPORT, SecretExport, masked, resolve, revealed
from .monitor import EchoMocks, RecordingMonitor
from .pulumi_internals import program_config
from .records import STACK_TYPE, AliasSpec, Duplicate, ProgramRun, Registration, declaration, duplicate_message, qualify, urn_of
from .runner import Inherited, run, run_program

__all__ = [
    "SECRET_EXPORT",
    "STACK_TYPE",
    "AliasSpec",
    "Duplicate",
    "EchoMocks",
    "Inherited",
    "ProgramRun",
    "RecordingMonitor",
    "Registration",
    "SecretExport",
    "declaration",
    "duplicate_message",
    "masked",
    "program_config",
    "qualify",
    "resolve",
    "revealed",
    "run",
    "run_program",
    "urn_of",
]
