"""The README and the manual under docs/ stay true: every ```python block compiles and every name it
imports from clusterstack exists in the installed package; every program shown runs under Pulumi's
mocks and exports what it says, and every unit test shown passes; every ```yaml block parses, and one that
is a stack file (a ``config:`` map with ``clusterstack:`` keys) passes the project's own stack
validation; every relative link points at a file that exists, and its ``#anchor`` at a heading of
that file; the README opens with the two commands, and its test command is the one CI runs; every
command of the CLI has its line in the README and in docs/commands.md; each page's settings tables are
what tests/docs_tables.py generates from the published stack schema.
(``tests/test_packaging.py`` type-checks the complete programs among the Python blocks with mypy
--strict; ``tests/test_environments.py`` holds the stack-file example to the published schema.)"""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from clusterstack.stack.files import Layer, StackConfig
from clusterstack.stack.spec import load_spec
from clusterstack.testing import run
from tests import docs_tables
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    text: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def _split(page: Path) -> tuple[list[Block], list[tuple[int, str]]]:
    """The fenced blocks of a page (dedented by their fence's indent), and its lines outside them."""
    blocks: list[Block] = []
    prose: list[tuple[int, str]] = []
    opened: tuple[int, str, str] | None = None
    body: list[str] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        fence = _FENCE.match(line)
        if opened is None and fence:
            opened, body = (number, fence["lang"], fence["indent"]), []
        elif opened is not None and line.strip() == "```":
            start, lang, indent = opened
            blocks.append(Block(page, start, lang, "\n".join(text.removeprefix(indent) for text in body) + "\n"))
            opened = None
        elif opened is not None:
            body.append(line)
        else:
            prose.append((number, line))
    assert opened is None, f"{page.relative_to(REPO)}:{opened[0]}: a fence is never closed"
    return blocks, prose


BLOCKS = [block for page in PAGES for block in _split(page)[0]]


def _of(lang: str) -> list[Block]:
    return [block for block in BLOCKS if block.lang == lang]


def test_every_block_names_a_language_this_module_knows():
    """A ```py or ```yml block would escape the checks below: only these spellings are allowed."""
    known = {"python", "yaml", "sh", "console", "text", "mermaid", ""}
    assert [str(block) for block in BLOCKS if block.lang not in known] == []


def test_the_pages_hold_blocks_of_every_kind_checked():
    """A parser that finds nothing would pass every test below."""
    assert len(_of("python")) >= 4
    assert len(_of("yaml")) >= 2
    assert len(PAGES) >= 20


@pytest.mark.parametrize("block", _of("python"), ids=str)
def test_every_python_block_compiles_and_imports_what_exists(block: Block):
    tree = compile(block.text, str(block), "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.module.split(".")[0] == "clusterstack":
            module = importlib.import_module(node.module)
            missing = [alias.name for alias in node.names if not hasattr(module, alias.name)]
            assert missing == [], f"{block}: {node.module} has no {missing}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "clusterstack":
                    importlib.import_module(alias.name)


def _programs() -> list[Block]:
    return [block for block in _of("python") if "from clusterstack" in block.text]


@pytest.mark.parametrize("block", [block for block in _programs() if "def test_" not in block.text], ids=str)
def test_every_program_runs_under_the_mocks_and_exports_what_it_says(block: Block):
    """Compiling is not running: each program registers its resources under Pulumi's mocks, with
    clusterstack.testing, and exports exactly the names its ``pulumi.export`` calls give."""
    code = compile(block.text, str(block), "exec")
    recording = run(lambda: exec(code, {"__name__": "__main__"}))
    exported = {
        node.args[0].value
        for node in ast.walk(ast.parse(block.text))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "pulumi.export" and isinstance(node.args[0], ast.Constant)
    }
    assert recording.resources
    assert set(recording.outputs) == exported


@pytest.mark.parametrize("block", [block for block in _programs() if "def test_" in block.text], ids=str)
def test_every_unit_test_shown_passes(block: Block, monkeypatch):
    """The tests the pages show are run, from the repository's root (their paths are relative to it)."""
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(block.text, str(block), "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert tests
    for test in tests:
        test()


def _stack_config(document: object) -> dict[str, object] | None:
    if isinstance(document, dict) and isinstance(document.get("config"), dict):
        config: dict[str, object] = document["config"]
        if any(str(key).startswith("clusterstack:") for key in config):
            return config
    return None


@pytest.mark.parametrize("block", _of("yaml"), ids=str)
def test_every_yaml_block_parses_and_every_stack_file_validates(block: Block):
    document = yaml.safe_load(block.text)
    config = _stack_config(document)
    if config is not None:
        load_spec(StackConfig("docs", (Layer(str(block), config),)))  # raises, listing every problem


def test_the_stack_file_examples_are_checked():
    assert any(_stack_config(yaml.safe_load(block.text)) is not None for block in _of("yaml"))


def test_a_wrong_stack_file_example_would_fail():
    """The validation the yaml test relies on refuses a typo, as it would in a page."""
    from clusterstack.errors import ClusterstackError

    with pytest.raises(ClusterstackError, match="qouta"):
        load_spec(StackConfig("docs", (Layer("page.md", {"clusterstack:namespaces": {"payments": {"qouta": {"pods": "1"}}}}),)))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, inline-code ticks and punctuation dropped
    (hyphens and underscores kept), spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for _, line in _split(page)[1]:
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = _slug(heading[1])
            count = seen.get(slug, 0)
            anchors.add(slug if count == 0 else f"{slug}-{count}")
            seen[slug] = count + 1
    return anchors


def test_slugs_are_githubs():
    assert _slug("Objects the cluster already has: `onExisting`") == "objects-the-cluster-already-has-onexisting"
    assert _slug("This project's tests and CI") == "this-projects-tests-and-ci"
    assert _slug("Renaming, moving, upgrading: aliases") == "renaming-moving-upgrading-aliases"


_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _links() -> list[tuple[Path, int, str]]:
    found = []
    for page in PAGES:
        for number, line in _split(page)[1]:
            for target in _LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if not re.match(r"^[a-z]+:", target):  # http(s):, mailto: are not this repository's
                    found.append((page, number, target))
    return found


def test_there_are_links_to_check():
    assert len(_links()) >= 50


@pytest.mark.parametrize(("page", "line", "target"), _links(), ids=lambda value: str(value.relative_to(REPO)) if isinstance(value, Path) else str(value))
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page: Path, line: int, target: str):
    where = f"{page.relative_to(REPO)}:{line}: {target}"
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{where}: no such file"
    assert linked.is_relative_to(REPO), f"{where}: outside the repository"
    if anchor:
        assert linked.suffix == ".md", f"{where}: an anchor into a file that is not a page"
        assert anchor in _anchors(linked), f"{where}: no such heading in {linked.relative_to(REPO)}"


def test_every_docs_page_is_listed_in_the_index():
    """docs/index.md links every page of the manual, so none is an orphan."""
    index = REPO / "docs" / "index.md"
    linked = {(index.parent / target.partition("#")[0]).resolve() for page, _, target in _links() if page == index}
    assert [str(page.relative_to(REPO)) for page in PAGES[1:] if page not in linked and page != index] == []


def test_the_readme_opens_with_the_two_commands_and_its_test_command_is_cis():
    """The first block sets up and previews dev; the second sets up and runs the tests, with the very
    set-up lines .ci/run uses."""
    first = BLOCKS[0]
    assert (first.page.name, first.lang) == ("README.md", "sh")
    assert first.line <= 5
    use, test = first.text.strip().splitlines()
    assert use.endswith("&& .venv/bin/clusterstack preview -s dev")
    steps = test.split(" && ")
    assert steps[-1] == ".venv/bin/python -m pytest"
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert [step for step in steps if step not in ci] == []
    assert [step for step in use.split(" && ")[:-1] if step.replace("requirements.lock", "requirements-test.lock") not in ci] == []


def test_the_readme_is_an_entry_not_a_manual():
    assert len((REPO / "README.md").read_text().splitlines()) <= 300


_SCHEMA = json.loads(docs_tables.SCHEMA.read_text())


@pytest.mark.parametrize("page", sorted(docs_tables.PAGES))
def test_every_settings_table_is_what_the_schema_generates(page: str):
    text = (REPO / page).read_text()
    assert docs_tables.current(text) == docs_tables.generated(page, _SCHEMA), f"{page}: run .venv/bin/python -m tests.docs_tables"


def test_every_schema_definition_has_its_table_on_one_page():
    placed = [name for names in docs_tables.PAGES.values() for name in names]
    assert sorted(placed) == sorted(["", *_SCHEMA["$defs"]])


def test_a_table_row_carries_the_fields_type_default_and_description():
    row = "| `dnsServiceIP` | string | `\"10.96.0.10\"` | The kube-dns Service ClusterIP (kubeadm's default for a 10.96.0.0/12 service range). |"
    assert row in (REPO / "docs" / "stack-files.md").read_text()
    assert docs_tables.paths(_SCHEMA)["Subjects"] == [f"namespaces.<name>.access.{role}" for role in ("admins", "editors", "viewers")]
    assert docs_tables._type({"enum": ["a", "b"]}) == '"a" | "b"'
    assert docs_tables._cell('"a" | "b"') == '"a" \\| "b"'


def _command_lines() -> list[str]:
    """Every command the CLI has, as a user types it (groups with their subcommands)."""
    import click

    from clusterstack.cli import cli

    lines = []
    for name, command in sorted(cli.commands.items()):
        if isinstance(command, click.Group):
            lines += [f"clusterstack {name} {sub}" for sub in sorted(command.commands)]
        else:
            lines.append(f"clusterstack {name}")
    return lines


@pytest.mark.parametrize("page", ["README.md", "docs/commands.md"])
def test_every_command_is_at_a_glance_in_the_readme_and_in_the_commands_page(page: str):
    """A command added to the CLI without a line in these two places fails here."""
    text = (REPO / page).read_text()
    assert len(_command_lines()) >= 15
    missing = [line for line in _command_lines() if not re.search(rf"`{re.escape(line)}[ `]", text) and not _grouped(line, text)]
    assert missing == []


def _grouped(line: str, text: str) -> bool:
    """``clusterstack state list|show|unlock|repair`` and ``state show`` beside ``state list`` name each."""
    *group, sub = line.split()
    if len(group) < 2:
        return False
    return bool(re.search(rf"`{re.escape(' '.join(group))} [^`]*\b{re.escape(sub)}\b", text)) or f"`state {sub} " in text or f"`state {sub}`" in text


def _shown(block: Block) -> list[str]:
    """What a ```text block shows a command printing: its lines but the prompt and the elisions."""
    return [line for line in block.text.splitlines() if line.strip() != "..." and not line.startswith("$ ")]


def _in_order(shown: list[str], printed: list[str]) -> bool:
    rest = iter(printed)
    return all(any(line == candidate for candidate in rest) for line in shown)


def test_the_tour_prints_what_the_readme_shows(tmp_path: Path):
    """The tour's preview, up, edit, saved plan and up --plan, run on a copy of the project."""
    from click.testing import CliRunner

    from clusterstack.cli import cli

    shutil.copy(REPO / "Pulumi.yaml", tmp_path)
    shutil.copy(REPO / "__main__.py", tmp_path)
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    first, edited = [block for block in BLOCKS if block.page.name == "README.md" and block.lang == "text"][:2]

    def clusterstack(*args: str) -> list[str]:
        result = CliRunner().invoke(cli, ["--project-dir", str(tmp_path), *args])
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()

    assert _in_order(_shown(first), clusterstack("preview", "-s", "dev"))
    clusterstack("up", "-s", "dev", "--yes")
    stack = tmp_path / "stacks" / "Pulumi.dev.yaml"
    assert stack.read_text().count('pods: "30"}') == 1
    stack.write_text(stack.read_text().replace('pods: "30"}', 'pods: "40"}'))
    assert _in_order(_shown(edited), clusterstack("preview", "-s", "dev", "--out", str(tmp_path / "dev.plan")))
    assert "Resources: 0 added, 1 changed, 0 destroyed" in "\n".join(clusterstack("up", "-s", "dev", "--plan", str(tmp_path / "dev.plan")))
    assert not _in_order(["Plan: 14 to add, 0 to change, 0 to destroy."], ["Plan: 13 to add, 0 to change, 0 to destroy."])
