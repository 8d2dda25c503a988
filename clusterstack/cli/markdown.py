"""The plan as a pull-request comment: GitHub- and GitLab-flavoured Markdown (``preview --format markdown``).

What a reviewer reads first comes first: the marker a CI job finds its own comment by, the counts
per action, then the UNSAFE and REFUSED callouts, drift, the flows the plan opens and closes, and
one collapsible ``<details>`` section per component (field changes as a table, multi-line values as
a ``diff`` block). Secret values are masked as the terminal plan masks them (show.py): a secret
field says only that it changed.

A comment has a limit (GitHub: 65,536 characters, ``COMMENT_LIMIT``). When the whole plan does not
fit, components' sections are left out whole, from the last, never cut inside a table or a block,
and the comment says how many were left out and where the full plan is.

Deterministic: the same plan gives the same bytes (components sorted, changes in plan order), so
CI can compare two runs' comments.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..engine.plan import ACTIONS, MISSING, Change, FieldChange, Plan
from ..engine.run import Drift
from ..engine.secrets import is_secret, masked
from .show import PROTECTED_REFUSED, change_notes, secret_side, text_diff

if TYPE_CHECKING:
    from ..analysis.reach import Flow

COMMENT_LIMIT = 65_536
"""GitHub's limit on an issue or pull-request comment's body, in characters (its API answers 422
"Body is too long (maximum is 65536 characters)"); GitLab's notes allow 1,000,000, so the lower one binds."""
MARKER = "<!-- clusterstack-preview stack={stack} -->"
"""The comment's first line: a CI job finds the comment it posted before by it, and updates that one."""
_VERBS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
_SIGNS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_SHORT = 80
"""Characters of a value a table cell shows (all of them under ``--diff``)."""
_LISTED = 50
"""Names a callout lists before it says how many more there are."""


@dataclass(frozen=True)
class Flows:
    """The flows the plan opens and closes (as ``clusterstack reach`` names them), and their diagram."""

    opened: Sequence[str]
    closed: Sequence[str]
    diagram: str | None = None
    """Mermaid source drawing them (None: no diagram)."""
    undrawn: str | None = None
    """Why there is no diagram though flows change: more than Mermaid draws."""


def flow_changes(opened: Sequence[Flow], closed: Sequence[Flow]) -> Flows:
    """The flows a plan opens and closes, and their Mermaid diagram, colour-coded (analysis/pictures.py,
    as ``reach --format mermaid`` draws them; GitHub and GitLab render a ``mermaid`` block): none when
    it opens and closes none, or when Mermaid would not draw it (then the lists say it all)."""
    listed = Flows([str(f) for f in opened], [str(f) for f in closed])
    if not opened and not closed:
        return listed
    from ..analysis import pictures

    drawn = pictures.picture((), opened, closed)
    text = pictures.mermaid_text(drawn)
    why = pictures.mermaid_too_large(drawn, text)
    return replace(listed, diagram=text) if why is None else replace(listed, undrawn=why)


def marker(stack: str) -> str:
    return MARKER.format(stack=_escape_comment(stack))


def plan_markdown(
    the_plan: Plan,
    stack: str,
    *,
    drift: Iterable[Drift] = (),
    flows: Flows | None = None,
    full: bool = False,
    full_plan: str | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """The comment: at most ``limit`` characters. ``full_plan`` (a URL) is where the whole plan is when
    sections had to be left out; without it, the comment names the command that prints it."""
    head = [marker(stack), f"### clusterstack preview: `{_code(stack)}`", "", f"**{the_plan.summary()}**", ""]
    if the_plan.changes:
        head += _counts(the_plan)
    head += _callouts(the_plan)
    parts: list[str] = []
    drift = list(drift)
    if drift:
        parts.append(_drift(drift))
    if flows is not None and (flows.opened or flows.closed):
        parts.append(_flows(flows))
    groups: dict[str, list[Change]] = {}
    for change in the_plan.changes:
        groups.setdefault(change.component, []).append(change)
    sections = [_component(name, groups[name], full) for name in sorted(groups)]
    if sections:
        sections[0] = "#### Changes by component\n\n" + sections[0]
    return _fit("\n".join(head), [*parts, *sections], stack, full_plan, limit)


def _counts(the_plan: Plan) -> list[str]:
    counted = {action: sum(c.action == action for c in the_plan.changes) for action in ACTIONS}
    rows = [f"| `{_SIGNS[action]}` {action} | {counted[action]} |" for action in ACTIONS if counted[action]]
    return ["| action | objects |", "| --- | ---: |", *rows, ""]


def _callouts(the_plan: Plan) -> list[str]:
    """GitHub's alert syntax (GitLab renders the same blockquote as a plain quote, still first)."""
    lines: list[str] = []
    if the_plan.namespace_deletions:
        names = _listed(the_plan.namespace_deletions)
        lines += ["> [!CAUTION]", f"> **UNSAFE**: deletes namespace(s) {names} and everything in them (up needs `--allow-namespace-deletion`).", ""]
    if the_plan.protected_deletions:
        names = _listed([str(c.key) for c in the_plan.protected_deletions])
        lines += [
            "> [!CAUTION]",
            f"> **REFUSED**: {names}: protected, cannot be deleted or replaced; release the protection first (`up` says where it comes from).",
            "",
        ]
    return lines


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(f"`{_code(name)}`" for name in names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def _drift(drift: list[Drift]) -> str:
    rows = [f"| `{_code(str(d.key), cell=True)}` | {d.kind} |" for d in drift]
    return "\n".join(["#### Drift found by refresh", "", "The target no longer matches state:", "", "| object | drift |", "| --- | --- |", *rows, ""])


def _flows(flows: Flows) -> str:
    lines = ["#### Reachability the plan changes", ""]
    if flows.diagram is not None:
        lines += [_fence(flows.diagram.rstrip("\n"), "mermaid"), ""]
    if flows.undrawn is not None:
        lines += [f"Not drawn: the diagram would have {flows.undrawn}.", ""]
    for sign, verb, listed in (("+", "Opens", flows.opened), ("-", "Closes", flows.closed)):
        if listed:
            summary = f"{verb} {len(listed)} flow{'s' if len(listed) != 1 else ''}"
            lines += ["<details>", f"<summary>{summary}</summary>", "", *(f"- `{sign} {_code(flow)}`" for flow in listed), "", "</details>", ""]
    return "\n".join(lines)


def _component(name: str, changes: list[Change], full: bool) -> str:
    counted = {action: sum(c.action == action for c in changes) for action in ACTIONS}
    summary = ", ".join(f"{counted[a]} {_VERBS[a]}" for a in ACTIONS if counted[a])
    lines = ["<details>", f"<summary><b>{html.escape(name)}</b>: {summary}</summary>", ""]
    for change in changes:
        lines += _change(change, full)
    lines += [*([""] if lines[-1] else []), "</details>", ""]
    return "\n".join(lines)


def _change(change: Change, full: bool) -> list[str]:
    lines = [f"- `{_SIGNS[change.action]}` **{change.action}** `{_code(str(change.key))}`{_notes(change)}"]
    if change.action not in ("update", "replace") or not change.fields:
        return lines
    lines.append("")
    rows: list[str] = []
    blocks: list[str] = []
    for field in change.fields:
        path = f"`{_code(field.dotted, cell=True)}`"
        if is_secret(field.before) or is_secret(field.after):
            # As the terminal shows it: which side has a value, never the value (show.py).
            rows.append(f"| {path} | `{secret_side(field.before)}` | `{secret_side(field.after)}` (changed) |")
        elif _texts(field):
            blocks += [f"{path}:", "", _fence("\n".join(_text_lines(field)), "diff"), ""]
        else:
            rows.append(f"| {path} | {_cell(field.before, full)} | {_cell(field.after, full)} |")
    if rows:
        lines += ["  | field | before | after |", "  | --- | --- | --- |", *(f"  {row}" for row in rows), ""]
    lines += [f"  {line}" if line else "" for block in blocks for line in block.split("\n")]
    return lines


def _notes(change: Change) -> str:
    notes = []
    if change.replace_reasons:
        notes.append(_text(", ".join(change.replace_reasons)) + " forces replacement" + ("; deleted first" if change.delete_before_replace else ""))
    notes += [f"**{note}**" if note == PROTECTED_REFUSED else note for note in change_notes(change)]
    return f" ({'; '.join(notes)})" if notes else ""


def _texts(field: FieldChange) -> bool:
    """A multi-line string changed (a Corefile, a config file in a ConfigMap): shown as a line diff."""
    sides = (field.before, field.after)
    return all(isinstance(side, str) for side in sides) and any(side != MISSING and "\n" in side.rstrip("\n") for side in sides)


def _text_lines(field: FieldChange) -> list[str]:
    """The line diff of a multi-line value (a side that is absent diffs as no lines)."""
    before, after = ("" if side == MISSING else str(side) for side in (field.before, field.after))
    return text_diff(before, after, full=True)


def _cell(value: Any, full: bool) -> str:
    if value == MISSING:
        return "*(absent)*"
    text = json.dumps(masked(value), sort_keys=True, ensure_ascii=False)
    if not full and len(text) > _SHORT:
        text = text[: _SHORT - 1] + "…"
    return f"`{_code(text, cell=True)}`"


def _code(text: str, *, cell: bool = False) -> str:
    """Text for inside a single-backtick code span: a backtick or a line break would end or break
    the span; in a table cell, a bare ``|`` would end the cell (GFM reads ``\\|`` there as ``|``)."""
    text = text.replace("`", "'").replace("\n", " ")
    return text.replace("|", "\\|") if cell else text


_SPECIAL = re.compile(r"([\\`*_\[\]<>&#|~])")


def _text(text: str) -> str:
    """Plain text, every character Markdown or HTML would read as syntax escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _escape_comment(text: str) -> str:
    """Text for inside an HTML comment, percent-encoded: nothing can end the comment (``-->``, or a
    ``--`` HTML forbids in one), and two names never encode alike. Stack names (letters, digits,
    ``-``, ``_``, ``.``) read as they are."""
    encoded = urllib.parse.quote(text, safe="")
    return encoded.replace("-", "%2D") if "--" in encoded or encoded.endswith("-") else encoded


def _destination(url: str) -> str:
    """A link destination in angle brackets (CommonMark: spaces and parentheses allowed), whatever
    the URL holds: a bracket or a line break, which would end it, is percent-encoded."""
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace("\r", "%0D").replace("\n", "%0A") + ">"


def _fence(text: str, info: str) -> str:
    """A fenced block whose fence no line of ``text`` can close (CommonMark: a longer run of backticks)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _fit(head: str, parts: list[str], stack: str, full_plan: str | None, limit: int) -> str:
    """``head``, then ``parts`` in order while each fits with room for the note that says what was
    left out; the first that does not fit is left out whole, with every part after it."""
    body = head
    for index, part in enumerate(parts):
        note = _omitted(len(parts) - index, len(parts), stack, full_plan, limit)
        if len(body) + 1 + len(part) + 1 + len(note) > limit:
            return body + "\n" + note
        body += "\n" + part
    return body


def _omitted(count: int, total: int, stack: str, full_plan: str | None, limit: int) -> str:
    where = f"[the full plan]({_destination(full_plan)})" if full_plan is not None else f"`clusterstack preview -s {_code(stack)} --diff`"
    return f"> [!NOTE]\n> {count} of {total} sections left out: this comment holds at most {limit:,} characters. See {where}.\n"
