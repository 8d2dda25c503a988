"""Secret values never leave memory in plain text: a user's program with a Secret whose stringData is
``pulumi.Output.secret``, a secret config value (``config.require_secret``) and secret exports, run
through the real command (a process of its own, on both evaluation paths). Every byte of every
command's output, of state, its backup, the cache and the saved plan is searched for the values;
the files' modes are checked; the directory target writes the Secrets only when the stack opts in.

pulumi-kubernetes makes a Secret's ``data`` and ``stringData`` secret itself
(sdk/python/pulumi_kubernetes/core/v1/Secret.py: ``additional_secret_outputs=["data", "stringData"]``
and the inputs wrapped in ``pulumi.Output.secret``)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from clusterstack.engine.secrets import Sealer, is_sealed, masked
from clusterstack.kube.manifest import SHOWN

PASSWORD = "hunter2-Zq81"
CHANGED_PASSWORD = "hunter3-Zq81"
TOKEN = "tok-SECRETVALUE-9"
VALUES = (PASSWORD, CHANGED_PASSWORD, TOKEN)

PROGRAM = '''
import os
import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config("app")
password = pulumi.Output.secret(os.environ["APP_PASSWORD"])
token = config.require_secret("token")
k8s.core.v1.Namespace("ns", metadata={"name": "app"})
k8s.core.v1.Secret("db", metadata={"name": "db", "namespace": "app"}, string_data={"password": password})
k8s.core.v1.Secret("api", metadata={"name": "api", "namespace": "app"}, string_data={"token": token})
k8s.core.v1.ConfigMap("plain", metadata={"name": "plain", "namespace": "app"}, data={"greeting": "hello"})
pulumi.export("password", password)
pulumi.export("nested", {"token": token, "plain": "visible"})
'''


def _project(root: Path, target: dict[str, str] | None = None) -> Path:
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: secrets-user\nruntime: python\nstackConfigDir: stacks\n")
    (root / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (root / "stacks" / "common.yaml").write_text("config:\n  kubernetes:context: test\n")
    config: dict[str, object] = {"app:token": TOKEN}
    if target is not None:
        config["clusterstack:target"] = target
    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    return root


class Runner:
    """The clusterstack command in a process of its own, every byte it printed kept."""

    def __init__(self, root: Path, path: str) -> None:
        self.root = root
        self.path = path
        self.printed: list[bytes] = []
        self.stdout = ""
        """The last command's standard output alone."""

    def __call__(self, *args: str, password: str = PASSWORD, code: int = 0) -> str:
        env = {**os.environ, "APP_PASSWORD": password, "CLUSTERSTACK_EVAL": self.path}
        env.pop("CLUSTERSTACK_CACHE_DIR", None)
        done = subprocess.run(
            [sys.executable, "-m", "clusterstack", "--project-dir", str(self.root), *args], capture_output=True, env=env, timeout=120, check=False
        )
        self.printed += [done.stdout, done.stderr]
        self.stdout = done.stdout.decode()
        assert done.returncode == code, (args, done.stdout.decode(), done.stderr.decode())
        return done.stdout.decode() + done.stderr.decode()


def _kept_files(root: Path) -> list[Path]:
    """Everything clusterstack wrote: the stack's own files (which hold the token as the user wrote
    it) and the program are the user's."""
    user = {root / "__main__.py", root / "stacks" / "Pulumi.dev.yaml"}
    return [p for p in root.rglob("*") if p.is_file() and p not in user]


def _assert_nowhere(runner: Runner, root: Path, values: tuple[str, ...] = VALUES, but: tuple[Path, ...] = ()) -> None:
    for value in values:
        for index, printed in enumerate(runner.printed):
            assert value.encode() not in printed, f"{value} printed by command {index // 2}"
        for path in _kept_files(root):
            if path not in but:
                assert value.encode() not in path.read_bytes(), f"{value} in {path.relative_to(root)}"


def _assert_private(root: Path) -> None:
    state = root / ".clusterstack"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in state.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


@pytest.fixture(params=["fast", "sdk"])
def evaluation_path(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_no_secret_value_is_printed_stored_cached_or_saved(tmp_path: Path, evaluation_path: str) -> None:
    root = _project(tmp_path / "project")
    cs = Runner(root, evaluation_path)
    first = cs("preview", "-s", "dev")
    assert "+ Secret app/db" in first
    cs("preview", "-s", "dev", "--diff")
    cs("preview", "-s", "dev", "--json")
    plan = json.loads(cs.stdout)
    created = {c["identity"]: c for c in plan["changes"]}
    assert created["Secret app/db"]["after"]["stringData"] == SHOWN
    applied = cs("up", "-s", "dev", "--yes")
    assert "Sealed Secrets" in applied
    assert "Secret app/api, Secret app/db" in applied

    target = root / "deploy" / "dev"
    assert sorted(p.name for p in target.iterdir()) == [".clusterstack-target", "configmap--app--plain.yaml", "kustomization.yaml", "namespace--app.yaml"]
    assert "secret" not in (target / "kustomization.yaml").read_text()

    assert cs("preview", "-s", "dev").strip().endswith("No changes."), "an unchanged secret is no change"
    changed = cs("preview", "-s", "dev", "--diff", password=CHANGED_PASSWORD)
    assert f"stringData: {SHOWN} → {SHOWN} (changed)" in changed
    assert "Secret app/api" not in changed
    cs("preview", "-s", "dev", "--json", password=CHANGED_PASSWORD)
    as_json = json.loads(cs.stdout)
    [field] = as_json["changes"][0]["fields"]
    assert (field["path"], field["before"], field["after"], field["secret"]) == ("stringData", SHOWN, SHOWN, True)

    plan_file = root / "dev.plan"
    cs("preview", "-s", "dev", "--out", str(plan_file), password=CHANGED_PASSWORD)
    assert stat.S_IMODE(plan_file.stat().st_mode) == 0o600
    saved = [c for c in json.loads(plan_file.read_text())["changes"] if c["identity"] == "Secret app/db"]
    assert is_sealed(saved[0]["after"]["stringData"])
    assert saved[0]["before"]["stringData"] != saved[0]["after"]["stringData"]
    cs("up", "-s", "dev", "--plan", str(plan_file), password=CHANGED_PASSWORD)
    assert cs("preview", "-s", "dev", password=CHANGED_PASSWORD).strip().endswith("No changes.")

    shown = cs("state", "show", "-s", "dev", "Secret app/db")
    assert yaml.safe_load(shown.split("\n", 1)[1])["stringData"] == SHOWN
    assert "No drift" in cs("refresh", "-s", "dev")

    state = json.loads((root / ".clusterstack" / "dev.json").read_text().replace("\n", ""))
    sealed = {o["key"]["name"]: o["manifest"].get("stringData") for o in state["objects"]}
    assert is_sealed(sealed["db"])
    assert is_sealed(sealed["api"])
    assert (root / ".clusterstack" / "dev.json.backup").exists()
    _assert_nowhere(cs, root)
    _assert_private(root)


def test_the_target_writes_secrets_in_plain_text_only_when_the_stack_opts_in(tmp_path: Path) -> None:
    root = _project(tmp_path / "project", {"secrets": "plaintext"})
    cs = Runner(root, "sdk")
    applied = cs("up", "-s", "dev", "--yes")
    assert applied.count("holds secret values in plain text") == 1
    target = root / "deploy" / "dev"
    db = target / "secret--app--db.yaml"
    assert yaml.safe_load(db.read_text())["stringData"] == {"password": PASSWORD}
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert "secret--app--db.yaml" in (target / "kustomization.yaml").read_text()

    assert "No drift" in cs("refresh", "-s", "dev")
    db.write_text(db.read_text().replace(PASSWORD, "edited-by-hand-77"))
    assert "drift: Secret app/db: modified" in cs("refresh", "-s", "dev")
    restored = cs("up", "-s", "dev", "--yes")
    assert f"stringData: {SHOWN} → {SHOWN} (changed)" in restored
    assert yaml.safe_load(db.read_text())["stringData"] == {"password": PASSWORD}

    plan_file = root / "dev.plan"
    cs("preview", "-s", "dev", "--out", str(plan_file), password=CHANGED_PASSWORD)
    refused = cs("up", "-s", "dev", "--plan", str(plan_file), password="yet-another-Zq81", code=1)
    # The plan made again holds another sealed digest: saved.check_reviewed refuses, naming the field only.
    assert "refused: the plan file differs from the plan made again now" in refused
    assert "Secret app/db: stringData differs from the plan file" in refused
    assert "yet-another-Zq81" not in refused
    assert CHANGED_PASSWORD not in refused
    cs("up", "-s", "dev", "--plan", str(plan_file), password=CHANGED_PASSWORD)
    assert yaml.safe_load(db.read_text())["stringData"] == {"password": CHANGED_PASSWORD}
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    written = set(target.glob("secret--*"))
    _assert_nowhere(cs, root, (PASSWORD, CHANGED_PASSWORD, TOKEN, "edited-by-hand-77", "yet-another-Zq81"), but=tuple(written))
    _assert_private(root)

    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": {"app:token": TOKEN}}))
    withdrawn = cs("up", "-s", "dev", "--yes", password=CHANGED_PASSWORD)
    assert "No changes." in withdrawn
    assert "Sealed Secrets" in withdrawn
    assert not list(target.glob("secret--*")), "no longer opted in: the plain-text files go"
    assert "secret" not in (target / "kustomization.yaml").read_text()
    _assert_nowhere(cs, root, (PASSWORD, CHANGED_PASSWORD, TOKEN, "edited-by-hand-77"))
    assert cs("preview", "-s", "dev", password=CHANGED_PASSWORD).strip().endswith("No changes.")


@pytest.mark.parametrize("plaintext", [False, True], ids=["omit", "plaintext"])
def test_a_namespace_file_holds_the_secrets_only_when_opted_in(tmp_path: Path, plaintext: bool) -> None:
    target_settings = {"layout": "namespace", **({"secrets": "plaintext"} if plaintext else {})}
    root = _project(tmp_path / "project", target_settings)
    cs = Runner(root, "sdk")
    cs("up", "-s", "dev", "--yes")
    app = root / "deploy" / "dev" / "app.yaml"
    kinds = [d["kind"] for d in yaml.safe_load_all(app.read_text())]
    assert kinds == (["Namespace", "Secret", "Secret", "ConfigMap"] if plaintext else ["Namespace", "ConfigMap"])
    if plaintext:
        assert stat.S_IMODE(app.stat().st_mode) == 0o600
    assert "No drift" in cs("refresh", "-s", "dev")
    assert cs("preview", "-s", "dev").strip().endswith("No changes.")
    _assert_nowhere(cs, root, but=(app,) if plaintext else ())


def test_render_leaves_secrets_out_unless_asked_and_then_writes_them_0600(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    cs = Runner(root, "sdk")
    printed = cs("render", "-s", "dev")
    kinds = [d["kind"] for d in yaml.safe_load_all(cs.stdout)]
    assert kinds == ["Namespace", "ConfigMap"]
    assert "left out" in printed
    assert "--show-secrets" in printed
    _assert_nowhere(cs, root)
    shown = cs("render", "-s", "dev", "--show-secrets", "-o", str(root / "out"))
    assert "wrote 4 files" in shown
    secret = root / "out" / "secret--app--db.yaml"
    assert yaml.safe_load(secret.read_text())["stringData"] == {"password": PASSWORD}
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_an_evaluation_holding_secrets_is_not_cached_and_variables_are_kept_as_digests(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    cs = Runner(root, "sdk")
    cs("preview", "-s", "dev")
    assert not (root / ".clusterstack" / "cache").exists()
    (root / "__main__.py").write_text(
        "import os\nimport pulumi_kubernetes as k8s\n"
        "k8s.core.v1.ConfigMap('c', metadata={'name': 'c', 'namespace': 'default'}, data={'n': str(len(os.environ['APP_PASSWORD']))})\n"
    )
    cs("preview", "-s", "dev")
    [cached] = (root / ".clusterstack" / "cache").iterdir()
    assert PASSWORD.encode() not in cached.read_bytes()
    assert "APP_PASSWORD" in json.loads(cached.read_bytes().partition(b"\n")[0])["key"]["environment"]  # the first line: format, key, digest
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    _assert_private(root)


def test_sealing_is_keyed_equal_for_equal_values_and_masked_for_printing(tmp_path: Path) -> None:
    sealer = Sealer(tmp_path / "state")
    one = sealer.seal({"password": PASSWORD})
    assert one == sealer.seal({"password": PASSWORD}) != sealer.seal({"password": CHANGED_PASSWORD})
    assert PASSWORD not in one
    assert one != Sealer(tmp_path / "other").seal({"password": PASSWORD}), "another state directory's key seals differently"
    assert Sealer(tmp_path / "state").seal({"password": PASSWORD}) == one, "the key is kept"
    assert stat.S_IMODE((tmp_path / "state" / "secrets.key").stat().st_mode) == 0o600
    assert masked({"a": [one, "b"], "c": one}) == {"a": [SHOWN, "b"], "c": SHOWN}


def test_a_state_from_before_sealing_shows_its_plain_value_nowhere(tmp_path: Path) -> None:
    """State written by an earlier clusterstack holds a Secret's stringData in plain text: the plan
    that seals it shows neither side."""
    from clusterstack.cli.show import plan_json, plan_text
    from clusterstack.engine.plan import plan
    from clusterstack.engine.state import Entry, State
    from clusterstack.kube.kinds import ObjectKey

    manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "app"}}
    key = ObjectKey.of(manifest)
    old = State.new()
    old.entries[key] = Entry(key, "(program)", {**manifest, "stringData": {"password": PASSWORD}})
    sealed = Sealer(tmp_path).sealed(manifest, {"stringData": {"password": PASSWORD}})
    the_plan = plan({key: Entry(key, "(program)", sealed)}, old)
    text, document = plan_text(the_plan, full=True), plan_json(the_plan, "dev")
    assert f"stringData: {SHOWN} → {SHOWN} (changed)" in text
    assert PASSWORD not in text
    assert PASSWORD not in document
    assert json.loads(document)["changes"][0]["before"]["stringData"] == SHOWN


def test_a_key_that_cannot_be_read_is_a_one_line_error(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    (root / ".clusterstack" / "secrets.key").mkdir(parents=True)
    printed = Runner(root, "sdk")("preview", "-s", "dev", code=1)
    assert "secrets.key: the key that seals secret values cannot be read or made" in printed
    assert "Traceback" not in printed
