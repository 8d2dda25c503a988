"""The config a Pulumi program runs with, as the Pulumi CLI builds it, under clusterstack.testing and
the embedded engine alike.

- Pulumi.yaml's ``config:`` (values, declarations with ``default``, keys without a namespace being the
  project's) under the stack's ``Pulumi.<stack>.yaml`` in ``stackConfigDir``, ``config=`` over both;
  a declared key without a default that the stack does not set is refused (pkg/workspace/config.go,
  mergeConfig).
- ``secure:`` values decrypted as Pulumi's passphrase provider does (pkg/secrets/passphrase/manager.go,
  sdk/go/common/resource/config/crypt.go), checked against Pulumi's own test vectors; the key is
  secret in the program (``require_secret`` gives an Output whose ``is_secret()`` is True).
- Refusals naming the file, the key and the fix: no passphrase, a wrong one ("incorrect passphrase"),
  another secrets provider.

The plain texts here are made-up test values; no test prints one.
"""

from __future__ import annotations

import base64
import hashlib
import os
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.errors import ClusterstackError
from clusterstack.program.cache import CACHE_DIR_ENV
from clusterstack.stack.files import program_config, read_stack_file
from clusterstack.stack.project import Project
from clusterstack.stack.secure import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, derive_key, encrypt, new_encryption_salt
from clusterstack.testing import run_program
from tests.conftest import REPO

# Pulumi's own vectors, transcribed as data.
# pkg/secrets/passphrase/manager_test.go: `state` unlocks with "password"; "password123" is incorrect.
MANAGER_TEST_SALT = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
# tests/roundtrip/roundtrip_test.go, TestConfigRoundtripComments: a stack file of project "foo" written by
# the CLI with the passphrase "TestConfigRoundtripComments", holding one secret, foo:d.
ROUNDTRIP_PASSPHRASE = "TestConfigRoundtripComments"
ROUNDTRIP_STACK = """\
encryptionsalt: v1:ThS5UPxP9qc=:v1:UZYAXF+ylaJ0rGhv:9OTvBnOEDFgxs7btjzSu+LZ470vLpg==
config:
  foo:a: some-value
  foo:b: some-value
  foo:c:
    a: A
    b: B
    c:
      - 1
      - 2
      - 3
  foo:d:
    secure: v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==
"""

PASSPHRASE = "correct horse battery staple"
SALT = b"clstack!"  # 8 bytes, as manager.go makes them
DB_PASSWORD = "made-up-db-password"
API_TOKEN = "made-up-api-token"


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch):
    """Each test starts with neither passphrase variable set, whatever the machine's environment holds."""
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.delenv(PASSPHRASE_FILE_ENV, raising=False)


def _secure(plaintext: str, passphrase: str = PASSPHRASE) -> dict[str, str]:
    return {"secure": encrypt(derive_key(passphrase, SALT), plaintext)}


def _write(root: Path, files: dict[str, str | dict]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content) if isinstance(content, str) else yaml.safe_dump(content))
    return root


def _config(root: Path, stack: str = "dev", overrides=None):
    project = Project.load(root)
    return program_config(project, read_stack_file(project, stack), overrides)


# --- The passphrase provider, against Pulumi's vectors -----------------------------------------------


def test_our_encryption_is_pulumis_on_its_own_vector():
    """crypt.go's v1 format, key derivation and AES-256-GCM: encrypting "pulumi" with manager_test.go's
    salt, passphrase and nonce gives exactly its ciphertext."""
    salt = base64.b64decode("fozI5u6B030=")
    nonce = base64.b64decode("F+6ZduKKd8G0/V7L")
    assert encrypt(derive_key("password", salt), "pulumi", nonce) == "v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
    assert new_encryption_salt("password", salt).startswith("v1:fozI5u6B030=:v1:")


def test_a_stack_file_the_pulumi_cli_wrote_decrypts(tmp_path, monkeypatch):
    root = _write(tmp_path, {"Pulumi.yaml": "name: foo\nruntime: python\n", "Pulumi.test.yaml": ROUNDTRIP_STACK})
    monkeypatch.setenv(PASSPHRASE_ENV, ROUNDTRIP_PASSPHRASE)
    config = _config(root, "test")
    assert config.secret_keys == ("foo:d",)
    assert isinstance(config.values["foo:d"], str)
    assert "secure" not in config.values["foo:d"]  # the plain text, not the ciphertext (not shown)
    assert {k: v for k, v in config.values.items() if k != "foo:d"} == {
        "foo:a": "some-value",
        "foo:b": "some-value",
        "foo:c": '{"a": "A", "b": "B", "c": [1, 2, 3]}',
    }


def test_the_wrong_passphrase_for_pulumis_salt_is_incorrect(tmp_path, monkeypatch):
    stack = {"encryptionsalt": MANAGER_TEST_SALT, "config": {"foo:d": _secure("x")}}
    root = _write(tmp_path, {"Pulumi.yaml": "name: foo\n", "Pulumi.dev.yaml": stack})
    monkeypatch.setenv(PASSPHRASE_ENV, "password123")
    with pytest.raises(ClusterstackError) as caught:
        _config(root)
    [problem] = caught.value.problems
    assert str(problem).startswith("Pulumi.dev.yaml: encryptionsalt: incorrect passphrase: the one PULUMI_CONFIG_PASSPHRASE gives")


# --- run_program reads the project as the CLI does ---------------------------------------------------

PROGRAM = """\
import json

import pulumi

config = pulumi.Config()
password = config.require_secret("dbPassword")
login = config.require_secret_object("login")
pulumi.export("region", config.require("region"))
pulumi.export("replicas", config.require_int("replicas"))
pulumi.export("tags", config.require_object("tags"))
pulumi.export("flag", pulumi.Config("other").require_bool("flag"))
pulumi.export("structured", config.require_object("structured"))
pulumi.export("user", config.require("user"))
pulumi.export("passwordIsSecret", pulumi.Output.from_input(password.is_secret()))
pulumi.export("loginIsSecret", pulumi.Output.from_input(login.is_secret()))
pulumi.export("passwordMatches", password.apply(lambda p: p == {expected!r}))
pulumi.export("loginUser", login.apply(lambda v: v["user"]))
pulumi.export("secretKeys", sorted(pulumi.runtime.config._SECRET_KEYS.get()))
"""


def _project(tmp_path: Path, **stack_extra) -> Path:
    salt = new_encryption_salt(PASSPHRASE, SALT)
    stack = {
        "encryptionsalt": salt,
        "config": {
            "myproj:replicas": 3,
            "structured": {"a": 1, "b": [True, "x"]},  # a bare key: the project's
            "myproj:dbPassword": _secure(DB_PASSWORD),
            "myproj:login": {"user": "app", "password": _secure(DB_PASSWORD)},
            "myproj:user": "app",
        },
        **stack_extra,
    }
    project = """\
        name: myproj
        runtime: python
        stackConfigDir: stacks
        config:
          region:
            type: string
            default: eu-west-1
          replicas:
            type: integer
            default: 2
          tags: [a, b]
          other:flag: true
          user:
            type: string
        """
    return _write(
        tmp_path / "myproj",
        {"Pulumi.yaml": project, "stacks/Pulumi.dev.yaml": stack, "__main__.py": PROGRAM.replace("{expected!r}", repr(DB_PASSWORD))},
    )


def test_run_program_reads_pulumi_yaml_and_the_stack_file_and_decrypts(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    recording = run_program(_project(tmp_path), stack="dev")
    assert recording.project == "myproj"
    assert recording.outputs == {
        "region": "eu-west-1",  # Pulumi.yaml's default
        "replicas": 3,  # the stack's value over the default
        "tags": ["a", "b"],  # Pulumi.yaml's shorthand value
        "flag": True,  # another namespace's value in Pulumi.yaml
        "structured": {"a": 1, "b": [True, "x"]},
        "user": "app",
        "passwordIsSecret": True,
        "loginIsSecret": True,
        "passwordMatches": True,
        "loginUser": "app",
        "secretKeys": ["myproj:dbPassword", "myproj:login"],
    }


def test_config_overrides_the_stack_file(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    recording = run_program(_project(tmp_path), stack="dev", config={"myproj:region": "us-east-1", "replicas": 5})
    assert (recording.outputs["region"], recording.outputs["replicas"]) == ("us-east-1", 5)


def test_the_passphrase_may_come_from_a_file(tmp_path, monkeypatch):
    phrase_file = tmp_path / "passphrase"
    phrase_file.write_text(PASSPHRASE + "\n")  # manager.go trims the file's white space
    monkeypatch.setenv(PASSPHRASE_FILE_ENV, str(phrase_file))
    assert run_program(_project(tmp_path), stack="dev").outputs["passwordMatches"] is True


def test_an_unreadable_passphrase_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_FILE_ENV, str(tmp_path / "missing"))
    with pytest.raises(ClusterstackError) as caught:
        run_program(_project(tmp_path), stack="dev")
    assert str(caught.value.problems[0]).startswith(f"PULUMI_CONFIG_PASSPHRASE_FILE={tmp_path / 'missing'}: cannot read the passphrase file (No such file")


def test_without_a_passphrase_the_secret_is_refused_by_name(tmp_path):
    with pytest.raises(ClusterstackError) as caught:
        run_program(_project(tmp_path), stack="dev")
    assert [str(p) for p in caught.value.problems] == [
        (
            "stacks/Pulumi.dev.yaml: myproj:dbPassword: is a secret (secure:) and no passphrase is set: set PULUMI_CONFIG_PASSPHRASE "
            "to the stack's passphrase, or PULUMI_CONFIG_PASSPHRASE_FILE to a file holding it"
        )
    ]


def test_a_wrong_passphrase_is_incorrect(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase")
    with pytest.raises(ClusterstackError, match=r"stacks/Pulumi.dev.yaml: encryptionsalt: incorrect passphrase"):
        run_program(_project(tmp_path), stack="dev")


def test_an_empty_passphrase_is_a_passphrase(tmp_path, monkeypatch):
    """manager.go: PULUMI_CONFIG_PASSPHRASE set to "" is used (and is wrong here), not ignored."""
    monkeypatch.setenv(PASSPHRASE_ENV, "")
    with pytest.raises(ClusterstackError, match="incorrect passphrase"):
        run_program(_project(tmp_path), stack="dev")


def test_a_value_encrypted_for_another_stack_is_refused(tmp_path, monkeypatch):
    root = _project(tmp_path)
    stack_file = root / "stacks" / "Pulumi.dev.yaml"
    stack = yaml.safe_load(stack_file.read_text())
    stack["config"]["myproj:dbPassword"] = _secure(DB_PASSWORD, "another stack's passphrase")
    stack_file.write_text(yaml.safe_dump(stack))
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with pytest.raises(ClusterstackError, match=r"myproj:dbPassword: is a secure value the stack's passphrase does not decrypt"):
        run_program(root, stack="dev")


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"secretsprovider": "awskms://alias/pulumi?region=eu-west-1", "encryptedkey": "AQIDAHg="}, "AWS KMS (awskms://alias/pulumi?region=eu-west-1)"),
        ({"secretsprovider": "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"}, "Google Cloud KMS (gcpkms://"),
        ({"secretsprovider": "azurekeyvault://vault.vault.azure.net/keys/k"}, "Azure Key Vault (azurekeyvault://"),
        ({"secretsprovider": "hashivault://pulumi"}, "HashiCorp Vault (hashivault://pulumi)"),
        ({"encryptedkey": "AQIDAHg="}, "passphrase secrets provider"),
    ],
)
def test_another_secrets_provider_is_refused_by_name(tmp_path, monkeypatch, settings, named):
    root = _write(tmp_path, {"Pulumi.yaml": "name: myproj\n", "Pulumi.dev.yaml": {**settings, "config": {"myproj:token": {"secure": "v1:AAAA"}}}})
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with pytest.raises(ClusterstackError) as caught:
        _config(root)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"Pulumi.dev.yaml: myproj:token: is a secret of the {named}")
    assert "pulumi stack change-secrets-provider passphrase" in str(problem)


def test_a_stack_without_encryptionsalt_holds_pulumi_cloud_secrets(tmp_path, monkeypatch):
    root = _write(tmp_path, {"Pulumi.yaml": "name: myproj\n", "Pulumi.dev.yaml": {"config": {"myproj:token": {"secure": "AAAA"}}}})
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with pytest.raises(ClusterstackError, match=r"myproj:token: is a secret, but the stack file has no encryptionsalt: a secret of the Pulumi Cloud provider"):
        _config(root)


def test_a_stack_without_secrets_needs_no_passphrase(tmp_path):
    root = _write(tmp_path, {"Pulumi.yaml": "name: myproj\n", "Pulumi.dev.yaml": {"encryptionsalt": MANAGER_TEST_SALT, "config": {"myproj:a": 1}}})
    assert _config(root).values == {"myproj:a": "1"}


def test_a_missing_stack_file_is_fine_when_the_program_needs_no_config(tmp_path):
    root = _write(tmp_path, {"Pulumi.yaml": "name: bare\n", "__main__.py": "import pulumi\npulumi.export('stack', pulumi.get_stack())\n"})
    assert run_program(root, stack="nowhere").outputs == {"stack": "nowhere"}


def test_a_required_key_the_stack_does_not_set_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    root = _project(tmp_path)
    stack_file = root / "stacks" / "Pulumi.dev.yaml"
    stack = yaml.safe_load(stack_file.read_text())
    del stack["config"]["myproj:user"]
    stack_file.write_text(yaml.safe_dump(stack))
    with pytest.raises(ClusterstackError) as caught:
        run_program(root, stack="dev")
    assert [str(p) for p in caught.value.problems] == [
        "stacks/Pulumi.dev.yaml: myproj:user: is declared in Pulumi.yaml's config: without a default, and the stack does not set it: pulumi config set user"
    ]
    assert run_program(root, stack="dev", config={"user": "given"}).outputs["user"] == "given"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_example_runs_on_its_stack_files_alone(stack):
    example = REPO / "examples" / "team-app"
    from_file = yaml.safe_load((example / f"Pulumi.{stack}.yaml").read_text())["config"]
    alone, given = run_program(example, stack=stack), run_program(example, stack=stack, config=from_file)
    # By URN: children waiting on Outputs (the load balancer's) register in no fixed order.
    assert {r.urn: r.inputs for r in alone.resources} == {r.urn: r.inputs for r in given.resources}
    assert len(alone.resources) == len(given.resources)
    assert alone.outputs == given.outputs


def test_clusterstacks_own_program_runs_on_its_stack_as_render_does():
    """The program's loader adds stacks/common.yaml under what run_program reads, as under pulumi up."""
    rendered = yaml.safe_load_all(_cli(REPO, "render", "-s", "dev").stdout)
    assert sorted(map(_identity, run_program(REPO, stack="dev").kubernetes_objects())) == sorted(map(_identity, rendered))


def _identity(manifest: dict) -> tuple[str, str, str]:
    return manifest["kind"], manifest["metadata"].get("namespace", ""), manifest["metadata"]["name"]


# --- The embedded engine -----------------------------------------------------------------------------

ENGINE_PROGRAM = """\
import hashlib

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
# A label says whether the token arrived decrypted and secret, without the token in any object (or here).
token_ok = str(hashlib.sha256(config.require("apiToken").encode()).hexdigest() == {expected!r}).lower()
secret = str(pulumi.runtime.is_config_secret("shop:apiToken")).lower()
k8s.core.v1.Namespace("shop", metadata={{"name": "shop", "labels": {{"token-ok": token_ok, "token-secret": secret}}}})
pulumi.export("token", config.require_secret("apiToken"))
"""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _engine_project(tmp_path: Path) -> Path:
    stack = {"encryptionsalt": new_encryption_salt(PASSPHRASE, SALT), "config": {"shop:apiToken": _secure(API_TOKEN)}}
    return _write(
        tmp_path / "shop",
        {"Pulumi.yaml": "name: shop\nruntime: python\n", "Pulumi.dev.yaml": stack, "__main__.py": ENGINE_PROGRAM.format(expected=_sha256(API_TOKEN))},
    )


def _cli(root: Path, *args: str):
    result = CliRunner().invoke(cli, ["--project-dir", str(root), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_the_embedded_engine_decrypts_the_stacks_secrets(tmp_path, monkeypatch):
    root = _engine_project(tmp_path)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    preview = _cli(root, "preview", "-s", "dev")
    assert preview.exit_code == 0, preview.output
    assert "+ Namespace shop" in preview.output
    [namespace] = yaml.safe_load_all(_cli(root, "render", "-s", "dev").stdout)
    assert namespace["metadata"]["labels"]["token-ok"] == "true"
    assert namespace["metadata"]["labels"]["token-secret"] == "true"


def test_the_embedded_engine_refuses_without_the_passphrase_even_when_cached(tmp_path, monkeypatch):
    root = _engine_project(tmp_path)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    assert _cli(root, "preview", "-s", "dev").exit_code == 0
    monkeypatch.delenv(PASSPHRASE_ENV)
    refused = _cli(root, "preview", "-s", "dev")
    assert refused.exit_code == 1
    assert "error: Pulumi.dev.yaml: shop:apiToken: is a secret (secure:) and no passphrase is set: set PULUMI_CONFIG_PASSPHRASE" in refused.output
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    wrong = _cli(root, "preview", "-s", "dev")
    assert wrong.exit_code == 1
    assert "error: Pulumi.dev.yaml: encryptionsalt: incorrect passphrase" in wrong.output


def test_an_evaluation_with_secrets_is_not_cached(tmp_path, monkeypatch):
    """The program exports the secret; the evaluation cache (which keeps outputs) must not hold it."""
    root = _engine_project(tmp_path)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    assert _cli(root, "preview", "-s", "dev").exit_code == 0
    cache = Path(os.environ[CACHE_DIR_ENV])
    written = [path for where in (cache, root) for path in where.rglob("*") if path.is_file()]
    assert not [path for path in written if API_TOKEN.encode() in path.read_bytes()]
    monkeypatch.delenv(PASSPHRASE_ENV)
    plain = _write(tmp_path / "plain", {"Pulumi.yaml": "name: shop\n", "Pulumi.dev.yaml": {"config": {"shop:apiToken": "x"}}, "__main__.py": ENGINE_PROGRAM.format(expected=_sha256("x"))})
    assert _cli(plain, "preview", "-s", "dev").exit_code == 0
    assert any(cache.rglob("*.json")), "a stack without secrets is cached as before"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d, "(Is a directory)"),
        (lambda d: Path("/dev/zero"), "(it holds over 65,536 bytes; a passphrase is a line of text)"),
        (lambda d: _latin1_file(d / "latin1"), "(it is not UTF-8 text)"),
    ],
)
def test_a_passphrase_file_that_is_no_passphrase_is_refused(tmp_path, monkeypatch, make, reason):
    phrase_file = make(tmp_path)
    monkeypatch.setenv(PASSPHRASE_FILE_ENV, str(phrase_file))
    with pytest.raises(ClusterstackError) as caught:
        run_program(_project(tmp_path), stack="dev")
    assert f"PULUMI_CONFIG_PASSPHRASE_FILE={phrase_file}: cannot read the passphrase file {reason}" in str(caught.value.problems[0])


def _latin1_file(path: Path) -> Path:
    path.write_bytes(b"caf\xe9")
    return path


TYPED_PROJECT = """\
name: typed
config:
  replicas: {type: integer}
  enabled: {type: boolean}
  zones: {type: array, items: {type: string}}
  limits: {type: object}
  name: {type: string}
  token: {type: string, secret: true}
  untyped: {}
"""
TYPED_VALID = {"replicas": 3, "enabled": True, "zones": ["a", "b"], "limits": {"cpu": 1}, "name": 7, "token": "t", "untyped": [1]}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("replicas", "three", "must be of type 'integer', as Pulumi.yaml's config: declares it"),
        ("replicas", 2.5, "must be of type 'integer', as Pulumi.yaml's config: declares it"),
        ("enabled", "yes", "must be of type 'boolean', as Pulumi.yaml's config: declares it"),
        ("zones", ["a", 1], "must be of type 'array<string>', as Pulumi.yaml's config: declares it"),
        ("zones", "a", "must be of type 'array<string>', as Pulumi.yaml's config: declares it"),
        ("limits", ["cpu"], "must be of type 'object', as Pulumi.yaml's config: declares it"),
        ("name", {"a": 1}, "must be of type 'string', as Pulumi.yaml's config: declares it"),
        ("token", "plain", "is declared secret in Pulumi.yaml's config: but is plain text: set it with pulumi config set --secret"),
    ],
)
def test_a_value_of_another_type_than_declared_is_refused(tmp_path, monkeypatch, key, value, message):
    """pkg/workspace/config.go, validateStackConfigValue with project.go's ValidateConfigValue: a scalar is
    checked as the text the stack holds ("3" is an integer, 7 a string), a structure as parsed JSON."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    valid = {**TYPED_VALID, "token": _secure("t")}
    root = _write(tmp_path, {"Pulumi.yaml": TYPED_PROJECT, "Pulumi.dev.yaml": {"encryptionsalt": new_encryption_salt(PASSPHRASE, SALT), "config": valid}})
    assert _config(root).secret_keys == ("typed:token",)
    _write(root, {"Pulumi.dev.yaml": {"encryptionsalt": new_encryption_salt(PASSPHRASE, SALT), "config": {**valid, key: value}}})
    with pytest.raises(ClusterstackError) as caught:
        _config(root)
    assert [str(p) for p in caught.value.problems] == [f"Pulumi.dev.yaml: typed:{key}: {message}"]


@pytest.mark.parametrize(("key", "value"), [("replicas", "4"), ("enabled", "false"), ("zones", []), ("untyped", "anything")])
def test_values_the_cli_accepts_for_a_declared_type(tmp_path, key, value):
    root = _write(tmp_path, {"Pulumi.yaml": TYPED_PROJECT.replace("secret: true", "secret: false"), "Pulumi.dev.yaml": {"config": {**TYPED_VALID, key: value}}})
    assert f"typed:{key}" in _config(root).values
