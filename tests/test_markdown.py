"""``preview --format markdown``: the plan as a pull-request comment, read back by a CommonMark parser
(markdown-it-py, with GitHub's tables) as GitHub and GitLab would read it, not compared as strings only.

What this verifies:
- the comment opens with the hidden marker a CI job finds it by, then the counts per action (a table
  that parses as one), then the UNSAFE and REFUSED callouts, before any component's section;
- one balanced ``<details>`` section per component, its field changes a table of three cells per row
  (whatever the values hold: pipes, backticks, HTML), a multi-line value (the Corefile) a ``diff``
  block, the flows the plan opens and closes with their Mermaid diagram;
- a secret value is never in it, in plain text or sealed: a changed secret says ``[secret]``;
- the same plan gives the same bytes, on stdout and in ``--out-markdown``; the diagram is one Mermaid's
  own parser reads (where tests/test_pictures.py finds it installed);
- a plan larger than a comment (65,536 characters on GitHub) is cut by whole sections, never inside a
  table or block, and says how many were left out and where the full plan is;
- the CI recipes (docs/engine/ci/) parse as YAML and run a preview the CLI accepts, and the GitLab
  job's poster, run against a local stand-in for GitLab's notes API, creates the note once and then
  updates it, leaving every other note alone.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import yaml
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token

from clusterstack.cli import cli
from clusterstack.cli.engine_commands import preview
from clusterstack.cli.markdown import COMMENT_LIMIT, Flows, marker, plan_markdown
from clusterstack.cli.show import change_notes
from clusterstack.engine.plan import MISSING, Change, FieldChange, Plan
from clusterstack.kube.kinds import ObjectKey
from clusterstack.kube.manifest import SHOWN
from tests import helpers
from tests.test_pictures import MERMAID_PARSER, _mermaid_parser_missing
from tests.test_secrets import CHANGED_PASSWORD, VALUES, Runner, _project

REPO = Path(__file__).resolve().parent.parent
_PARSER = MarkdownIt("commonmark").enable("table")


def cs(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--project-dir", str(root), *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout


def _copy(tmp_path: Path) -> Path:
    return helpers.shipped_project(tmp_path)


def structure(text: str) -> list[Token]:
    """The comment parsed, after checking what a reader relies on: every table row has its header's
    cells, ``<details>`` opens and closes in pairs (never inside a table or a code block, where it
    would show as text), and nothing is left of the HTML a value could smuggle in."""
    tokens = _PARSER.parse(text)
    depth = 0
    cells: list[int] = []
    for token in tokens:
        if token.type == "html_block":
            for line in token.content.splitlines():
                depth += line.count("<details>") - line.count("</details>")
                assert depth >= 0, f"</details> without <details>: {line}"
                assert line.startswith(("<details>", "</details>", "<summary>", "<!-- clusterstack-preview")), f"unexpected HTML: {line}"
        elif token.type == "tr_open":
            cells.append(0)
        elif token.type in ("th_open", "td_open"):
            cells[-1] += 1
        elif token.type == "table_close":
            assert len(set(cells)) == 1, f"a table's rows have {cells} cells"
            cells = []
        elif token.type == "inline":
            # (inside a code span, a value's "</details>" is text: only HTML outside one would act)
            assert not any(child.type == "html_inline" for child in token.children or []), token.content
    assert depth == 0, "a <details> section is not closed"
    return tokens


def headings(tokens: list[Token]) -> list[str]:
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def fences(tokens: list[Token]) -> list[tuple[str, str]]:
    return [(t.info, t.content) for t in tokens if t.type == "fence"]


def tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Each table as its rows of cell texts (header first)."""
    found: list[list[list[str]]] = []
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            found[-1].append([])
        elif token.type in ("th_open", "td_open"):
            found[-1][-1].append(tokens[index + 1].content)
    return found


def summaries(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("<summary><b>")]


def test_an_edited_plan_reads_as_a_pull_request_comment(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert cs(root, "up", "-s", "dev", "--yes")[0] == 0
    shutil.copy(root / "stacks" / "Pulumi.prod.yaml", root / "stacks" / "Pulumi.dev.yaml")
    out = tmp_path / "plan.md"
    code, text = cs(root, "preview", "-s", "dev", "--format", "markdown", "--out-markdown", str(out), "--detailed-exitcode")
    assert code == 2, "the exit code says there are changes, whatever the format"
    assert out.read_text() == text
    assert cs(root, "preview", "-s", "dev", "--format", "markdown")[1] == text, "deterministic: byte-identical"
    assert len(text) <= COMMENT_LIMIT

    tokens = structure(text)
    assert tokens[0].type == "html_block"
    assert tokens[0].content == marker("dev") + "\n"
    assert headings(tokens) == ["clusterstack preview: `dev`", "Reachability the plan changes", "Changes by component"]
    counts = tables(tokens)[0]
    assert counts == [["action", "objects"], ["`+` create", "42"], ["`~` update", "6"], ["`-/+` replace", "1"], ["`-` delete", "2"]]
    # dev's sandbox is not in prod: deleting its Namespace is called out before any section.
    unsafe = text.index("> **UNSAFE**: deletes namespace(s) `sandbox`")
    assert unsafe < text.index("#### Reachability") < text.index("<details>\n<summary><b>")

    [(_info, diagram)] = [(i, c) for i, c in fences(tokens) if i == "mermaid"]
    assert diagram.startswith("flowchart LR\n")
    assert "==>" in diagram, "opened flows drawn"
    assert "-.->" in diagram, "closed flows drawn"
    assert "- `+ checkout/app=checkout → payments/app=payments-api: TCP 8080`" in text
    assert "- `- sandbox → payments: any port`" in text

    if _mermaid_parser_missing() is None:  # (tests/test_pictures.py says why it is missing, where it is)
        chart = tmp_path / "plan.mmd"
        chart.write_text(diagram)
        parsed = subprocess.run(["node", str(MERMAID_PARSER / "parse.mjs"), str(chart)], capture_output=True, text=True, timeout=300, check=False)
        assert parsed.stdout == f"{chart}: flowchart-v2\n", "Mermaid's own parser reads the comment's diagram"

    components = [line.removeprefix("<summary><b>").partition("</b>")[0] for line in summaries(text)]
    planned = json.loads(cs(root, "preview", "-s", "dev", "--json")[1])
    assert components == sorted({c["component"] for c in planned["changes"]}), "one section per component, in order"
    quota = next(t for t in tables(tokens) if ["`spec.hard.pods`", '`"20"`', '`"100"`'] in t)
    assert quota[0] == ["field", "before", "after"]
    assert ["`spec.hard.limits.cpu`", "*(absent)*", '`"32"`'] in quota
    assert "- `-/+` **replace** `ConfigMap kube-system/kube-dns-autoscaler` (data forces replacement; deleted first)" in text


def test_refused_and_unsafe_come_first_and_a_corefile_change_is_a_diff_block(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert cs(root, "up", "-s", "prod", "--yes")[0] == 0
    path = root / "stacks" / "Pulumi.prod.yaml"
    stack = yaml.safe_load(path.read_text())
    del stack["config"]["clusterstack:namespaces"]["analytics"]  # protected by prod's namespaceDeletion: protect
    stack["config"]["clusterstack:dns"]["coredns"]["stubDomains"] = {"consul.local": ["10.150.0.2"]}
    path.write_text(yaml.safe_dump(stack))
    code, text = cs(root, "preview", "-s", "prod", "--format", "markdown")
    assert code == 0
    tokens = structure(text)
    callouts = [t.content for t in tokens if t.type == "inline" and t.content.startswith(("[!CAUTION]", "**UNSAFE**", "**REFUSED**"))]
    assert [c.splitlines()[-1].split(":")[0] for c in callouts] == ["**UNSAFE**", "**REFUSED**"]
    assert "`Namespace analytics`" in callouts[1]
    assert text.index("**REFUSED**") < text.index("<details>")
    assert "- `-` **delete** `Namespace analytics` (**protected: refused**)" in text
    [corefile] = [c for i, c in fences(tokens) if i == "diff"]
    changed = [line for line in corefile.splitlines() if line.startswith(("-", "+"))]
    assert [line[0] for line in changed] == ["-", "+"], corefile
    assert "10.150.0.1" in changed[0]
    assert "10.150.0.2" in changed[1]
    assert "`data.Corefile`:" in text


def test_no_secret_value_is_in_the_comment(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    run = Runner(root, "fast")
    run("up", "-s", "dev", "--yes")
    out = tmp_path / "plan.md"
    run("preview", "-s", "dev", "--format", "markdown", "--diff", "--out-markdown", str(out), password=CHANGED_PASSWORD)
    text = run.stdout
    assert out.read_text() == text
    for value in VALUES:
        assert value not in text
    assert "hmac-sha256" not in text, "not even the sealed digest"
    [secret_table] = [t for t in tables(structure(text)) if any(row[0] == "`stringData`" for row in t)]
    assert ["`stringData`", f"`{SHOWN}`", f"`{SHOWN}` (changed)"] in secret_table


def _change(component: str, name: str, fields: tuple[FieldChange, ...] = (), action: str = "update") -> Change:
    key = ObjectKey("", "ConfigMap", "apps", name)
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "apps"}}
    return Change(action, key, component, manifest, manifest, fields)  # type: ignore[arg-type]


def test_values_cannot_break_out_of_their_cell_their_block_or_the_comment() -> None:
    hostile = "a | b ` c <img src=x onerror=alert(1)> </details>"
    block = "line one\n```\n</details>\n<script>x</script>\nline four\n"
    fields = (
        FieldChange(("data", "a|b"), hostile, "x\\|y"),
        FieldChange(("data", "file"), block, block.replace("one", "1")),
        FieldChange(("data", "new"), MISSING, "first\nsecond\n"),
    )
    the_plan = Plan((_change("<img src=x onerror=alert(1)> & co", "cm", fields),))
    flows = Flows(["a → b: TCP 1 | `x`"], [], diagram='flowchart LR\n  n0["```"]')
    text = plan_markdown(the_plan, "dev --> <b>", flows=flows, full=True)
    tokens = structure(text)
    assert tokens[0].content == "<!-- clusterstack-preview stack=dev%20%2D%2D%3E%20%3Cb%3E -->\n"
    assert marker("my-stack") == "<!-- clusterstack-preview stack=my-stack -->"
    assert marker("my_stack") != marker("my-stack")
    odd = plan_markdown(Plan(tuple(_change(f"c{n}", f"cm-{n}", (FieldChange(("data", "k"), "x" * 900, "y"),)) for n in range(3))), "dev", limit=1_500, full=True,
                        full_plan="https://ci.example/a b)\n<script>")
    assert "[the full plan](<https://ci.example/a b)%0A%3Cscript%3E>)" in odd
    links = [child.attrs["href"] for token in structure(odd) if token.type == "inline" for child in token.children or [] if child.type == "link_open"]
    assert links == ["https://ci.example/a%20b)%0A%3Cscript%3E"], "one link, whole"
    [table] = [t for t in tables(tokens) if t[0] == ["field", "before", "after"]]
    # GFM reads an escaped pipe in a cell as a pipe, inside a code span too: the values as JSON, whole.
    assert table[1] == ["`data.a|b`", '`"a | b \' c <img src=x onerror=alert(1)> </details>"`', '`"x\\\\|y"`']
    diffs = [content for info, content in fences(tokens) if info == "diff"]
    assert len(diffs) == 2
    assert "</details>" in diffs[0]
    assert "```" in diffs[0]
    assert diffs[1] == "@@ -0,0 +1,2 @@\n+first\n+second\n"
    assert ("mermaid", 'flowchart LR\n  n0["```"]\n') in fences(tokens)
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in summaries(text)[0]


def test_a_plan_larger_than_a_comment_is_cut_by_whole_sections() -> None:
    long_value = "x" * 400
    changes = tuple(
        _change(f"Component {index:03d}", f"cm-{index}", tuple(FieldChange(("data", f"k{n}"), long_value, long_value + "y") for n in range(20)))
        for index in range(40)
    )
    the_plan = Plan(changes)
    text = plan_markdown(the_plan, "prod", full=True, full_plan="https://ci.example/runs/7")
    assert len(text) <= COMMENT_LIMIT < len(plan_markdown(the_plan, "prod", full=True, limit=10**7))
    tokens = structure(text)
    shown = summaries(text)
    assert 0 < len(shown) < 40
    assert shown[-1].startswith(f"<summary><b>Component {len(shown) - 1:03d}</b>")
    # Every section shown is whole: its table has all 20 rows.
    assert [len(t) for t in tables(tokens)[1:]] == [21] * len(shown)
    assert f"> {40 - len(shown)} of 40 sections left out: this comment holds at most 65,536 characters. See [the full plan](<https://ci.example/runs/7>)." in text
    assert text.endswith("\n")
    assert text.count("<details>") == text.count("</details>") == len(shown)

    small = plan_markdown(the_plan, "prod", limit=2_000)
    assert len(small) <= 2_000
    structure(small)
    assert "40 of 40 sections left out" in small
    assert "`clusterstack preview -s prod --diff`" in small
    assert plan_markdown(the_plan, "prod", limit=2_000) == small


def test_refused_names_every_protected_object_and_a_retained_delete_is_no_loss() -> None:
    namespace = ObjectKey("", "Namespace", "", "payments")
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}
    protected = Change("delete", namespace, "TenantNamespace platform/payments", manifest, None, deletion="protect")
    retained = Change("delete", namespace._replace(name="old"), "TenantNamespace platform/old", manifest, None, deletion="retain")
    text = plan_markdown(Plan((protected, retained)), "prod")
    tokens = structure(text)
    assert "**REFUSED**: `Namespace payments`" in text
    assert "`old`" not in text.split("#### Changes")[0]
    assert Counter(t.type for t in tokens)["blockquote_open"] == 2
    assert "(retained: forgotten, left where it is)" in text


def test_the_comment_notes_each_change_as_the_terminal_plan_does() -> None:
    """One list of notes (show.change_notes) for both: a retained object that a replacement would
    collide with is as loud in the pull request as in the terminal."""
    namespace = ObjectKey("", "Namespace", "", "payments")
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}
    replaced = Change(
        "replace", namespace, "TenantNamespace platform/payments", manifest, manifest, replace_reasons=("metadata.name",), replaced_deletion="retain"
    )
    patched = Change("update", namespace._replace(name="kube-system"), "ExistingNamespaces platform/system", manifest, manifest, patch=True)
    text = plan_markdown(Plan((replaced, patched)), "prod")
    for change in (replaced, patched):
        for note in change_notes(change):
            assert note in text, note
    assert "pulumi up fails: AlreadyExists" in text
    assert "patch of the cluster's own object: only its fields" in text


def test_no_changes_is_a_short_comment_with_its_marker() -> None:
    text = plan_markdown(Plan((), unchanged=12), "dev")
    assert text == "<!-- clusterstack-preview stack=dev -->\n### clusterstack preview: `dev`\n\n**No changes.**\n"
    structure(text)


def test_conflicting_formats_and_a_missing_directory_are_errors(tmp_path: Path, make_project) -> None:
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"team": {}}}}})
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "preview", "-s", "dev", "--json", "--format", "markdown"])
    assert result.exit_code == 1
    assert "error: --json and --format markdown ask for two formats; give one" in result.output
    missing = tmp_path / "nowhere" / "plan.md"
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "preview", "-s", "dev", "--out-markdown", str(missing)])
    assert result.exit_code == 1
    assert f"error: --out-markdown {missing}: the directory {missing.parent} does not exist" in result.output
    same = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "preview", "-s", "dev", "--out", str(same), "--out-markdown", str(same)])
    assert result.exit_code == 1
    assert f"error: --out and --out-markdown both name {same}: the saved plan and the comment need a file each" in result.output
    assert not same.exists()
    assert not (root / ".clusterstack").exists(), "nothing written"


CI = REPO / "docs" / "engine" / "ci"


def _preview_lines(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if line.strip().startswith("clusterstack preview")]


def _accepted(line: str) -> list[str]:
    """The preview command of a CI script as the CLI parses it (variables given stand-in values):
    an option the CLI lacks, or a bad value, raises."""
    command = line.split("|", maxsplit=1)[0]
    command = re.sub(r"\$\{\{[^}]*\}\}", "prod", command)
    command = re.sub(r'"?\$[A-Z_]+"?', "https://ci.example/x", command)
    args = shlex.split(command)
    assert args[:2] == ["clusterstack", "preview"]
    context = preview.make_context("preview", args[2:])
    return [name for name, value in context.params.items() if value not in (None, False)]


def test_the_github_workflow_posts_the_markdown_preview_once_per_stack():
    workflow = yaml.safe_load((CI / "github-pull-request.yml").read_text())
    assert "pull_request" in workflow[True], "on: pull_request (YAML 1.1 reads the key 'on' as true)"
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["plan"]["steps"]
    [line] = [line for step in steps for line in _preview_lines(step.get("run", ""))]
    assert {"out_markdown", "full_plan_url", "detailed_exitcode", "full"} <= set(_accepted(line))
    [post] = [step for step in steps if step.get("uses", "").startswith("actions/github-script@")]
    script = post["with"]["script"]
    assert 'body.split("\\n", 1)[0]' in script, "the marker is the comment's first line"
    assert "updateComment" in script
    assert "createComment" in script


def test_the_gitlab_job_posts_the_markdown_preview_once_per_stack():
    job = yaml.safe_load((CI / "gitlab-merge-request.yml").read_text())["clusterstack-plan"]
    assert job["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    [line] = [line for entry in job["script"] for line in _preview_lines(entry)]
    assert {"out_markdown", "full_plan_url", "detailed_exitcode", "full"} <= set(_accepted(line))
    assert "python docs/engine/ci/post_note.py plan.md" in job["script"]


class _GitLab(BaseHTTPRequestHandler):
    """A stand-in for GitLab's notes API (https://docs.gitlab.com/api/notes/), two per page."""

    notes: ClassVar[list[dict]] = []
    token = "glpat-test"

    def _answer(self, data: object, next_page: str = "") -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Next-Page", next_page)
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        if self.headers.get("PRIVATE-TOKEN") != self.token:
            self.send_error(401)
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        url = urllib.parse.urlparse(self.path)
        if url.path == "/api/v4/user":
            self._answer({"id": 7})
            return
        assert url.path == "/api/v4/projects/42/merge_requests/3/notes"
        page = int(urllib.parse.parse_qs(url.query)["page"][0])
        self._answer(self.notes[(page - 1) * 2 : page * 2], str(page + 1) if page * 2 < len(self.notes) else "")

    def _body(self) -> str:
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        return form["body"][0]

    def do_POST(self) -> None:
        if self._authorised():
            note = {"id": 100 + len(self.notes), "author": {"id": 7}, "system": False, "body": self._body()}
            self.notes.append(note)
            self._answer(note)

    def do_PUT(self) -> None:
        if self._authorised():
            note_id = int(self.path.rsplit("/", 1)[1])
            [note] = [n for n in self.notes if n["id"] == note_id]
            note["body"] = self._body()
            self._answer(note)

    def log_message(self, format: str, *args: object) -> None:  # (BaseHTTPRequestHandler's name)
        """Quiet: the test reads the notes, not a log."""


def test_the_gitlab_note_is_created_then_updated_never_another_ones(tmp_path):
    _GitLab.notes = [
        {"id": 1, "author": {"id": 8}, "system": False, "body": marker("prod") + "\nquoted by a person"},
        {"id": 2, "author": {"id": 7}, "system": True, "body": "changed the description"},
        {"id": 3, "author": {"id": 7}, "system": False, "body": marker("dev") + "\nthe dev stack's plan"},
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GitLab)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {
            "PATH": os.environ["PATH"], "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
            "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "3", "CLUSTERSTACK_NOTE_TOKEN": _GitLab.token,
        }  # fmt: skip
        plan = tmp_path / "plan.md"
        for body in ("first plan", "second plan"):
            plan.write_text(plan_markdown(Plan(()), "prod") + body + "\n")
            done = subprocess.run([sys.executable, str(CI / "post_note.py"), str(plan)], env=env, capture_output=True, text=True, timeout=60, check=False)
            assert done.returncode == 0, done.stderr
        assert done.stdout == "updated note 103\n"
    finally:
        server.shutdown()
        server.server_close()
    bodies = {note["id"]: note["body"] for note in _GitLab.notes}
    assert bodies == {
        1: marker("prod") + "\nquoted by a person",
        2: "changed the description",
        3: marker("dev") + "\nthe dev stack's plan",
        103: plan.read_text(),
    }
    assert bodies[103].endswith("second plan\n")


def test_flows_past_what_mermaid_draws_are_listed_without_a_diagram() -> None:
    """A plan that opens or closes more flows than Mermaid draws (pictures.MERMAID_MAX_EDGES): the
    comment lists them and says why there is no diagram, instead of a block GitHub shows as an error."""
    from clusterstack.analysis.pictures import MERMAID_MAX_EDGES
    from clusterstack.analysis.reach import Flow
    from clusterstack.cli.markdown import flow_changes

    def closing(count: int) -> list[Flow]:
        return [Flow(f"team-{i:04d}", f"team-{i:04d}", "", None) for i in range(count)]

    drawn = flow_changes([], closing(MERMAID_MAX_EDGES))
    assert drawn.diagram is not None
    assert drawn.undrawn is None
    many = flow_changes([], closing(MERMAID_MAX_EDGES + 1))
    assert many.diagram is None
    assert len(many.closed) == MERMAID_MAX_EDGES + 1
    text = plan_markdown(Plan(()), "dev", flows=many, full=True)
    assert "```mermaid" not in text
    assert f"Not drawn: the diagram would have {MERMAID_MAX_EDGES + 1} edges, and Mermaid draws at most {MERMAID_MAX_EDGES} (its maxEdges)." in text
    assert f"Closes {MERMAID_MAX_EDGES + 1} flows" in text
    assert flow_changes([], []) == Flows([], [])
