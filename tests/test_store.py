"""The state store (engine/store.py): atomic writes with a backup, lineage and serial, the journal that
survives a kill, a damaged state file named with the way out, and state repair of a damaged journal."""

import json

import pytest

from clusterstack.engine.state import Entry
from clusterstack.engine.store import StateStore, state_text
from clusterstack.errors import ClusterstackError
from clusterstack.kube.kinds import ObjectKey


def entry(name: str) -> Entry:
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    return Entry(ObjectKey.of(manifest), "TenantNamespace " + name, manifest)


def test_a_new_state_has_a_lineage_and_every_change_raises_the_serial(tmp_path):
    store = StateStore(tmp_path, "dev")
    assert store.load() is None
    state = store.create()
    assert store.load().lineage == state.lineage
    assert state.serial == 0
    store.record_put(state, entry("a"))
    store.record_put(state, entry("b"))
    store.record_delete(state, entry("a").key)
    assert state.serial == 3
    loaded = store.load()  # from the state file plus the journal
    assert (loaded.lineage, loaded.serial, list(loaded.entries)) == (state.lineage, 3, [entry("b").key])
    store.write(state)
    assert not store.journal_path.exists()
    assert json.loads(store.path.read_text())["serial"] == 3
    assert json.loads(store.backup_path.read_text())["serial"] == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_torn_last_journal_line_is_ignored_and_the_rest_kept(tmp_path):
    store = StateStore(tmp_path, "dev")
    state = store.create()
    store.record_put(state, entry("a"))
    with store.journal_path.open("a") as journal:
        journal.write('{"lineage": "' + state.lineage + '", "op": "put", "ser')
    loaded = store.load()
    assert list(loaded.entries) == [entry("a").key]
    assert loaded.serial == 1


def test_a_damaged_state_file_is_a_clear_error(tmp_path):
    store = StateStore(tmp_path, "dev")
    store.create()
    store.path.write_text("{not json")
    with pytest.raises(ClusterstackError, match=r"the state file is damaged .* dev\.json\.backup holds the previous version"):
        store.load()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[]", "not a JSON object"),
        ("1", "not a JSON object"),
        ('"state"', "not a JSON object"),
        ("{not json", "the state file is damaged"),
        ('{"version": 1, "stack": "dev", "lineage": "l", "serial": "abc", "objects": []}', "serial a whole number"),
        ('{"version": 1, "stack": "dev", "lineage": "l", "serial": 1, "objects": [{"key": 1}]}', "objects[0]"),
        ('{"version": 1, "stack": "prod", "lineage": "l", "serial": 1, "objects": []}', "holds the state of stack 'prod', not 'dev'"),
        ('{"version": 9, "stack": "dev", "lineage": "l", "serial": 1, "objects": []}', "state format 9 is not 1"),
    ],
)
def test_a_damaged_state_file_is_a_clear_error_with_the_way_out(tmp_path, content, fragment):
    store = StateStore(tmp_path, "dev")
    store.path.write_text(content)
    with pytest.raises(ClusterstackError) as caught:
        store.load()
    assert fragment in str(caught.value)
    assert str(store.path) in str(caught.value)


def test_a_double_fault_is_recovered_by_state_repair(tmp_path):
    """A torn last journal line (a full disk), then one more run killed mid-apply: the torn record is
    cut before anything is appended, so the journal stays loadable; a journal damaged anyway (by hand)
    is recovered by state repair, which keeps every record before the damage."""
    store = StateStore(tmp_path, "dev")
    state = store.create()
    first = Entry(ObjectKey("", "Namespace", "", "a"), "c", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
    second = Entry(ObjectKey("", "Namespace", "", "b"), "c", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}})
    store.record_put(state, first)
    with store.journal_path.open("a") as journal:
        journal.write('{"lineage": "' + state.lineage + '", "op": "put", "ser')  # torn
    with store.journal():
        store.record_put(state, second)  # the next run, killed before it folds the journal
    loaded = store.load()
    assert loaded is not None
    assert set(loaded.entries) == {first.key, second.key}

    with store.journal_path.open("a") as journal:
        journal.write("garbage\n")
        journal.write(json.dumps({"lineage": state.lineage, "serial": 99, "op": "delete", "key": first.key.to_json()}) + "\n")
    with pytest.raises(ClusterstackError, match=r"dev\.journal: line 3: is damaged .*clusterstack state repair -s dev keeps every change before it"):
        store.load()
    repaired, kept, aside = store.repair()
    assert set(repaired.entries) == {first.key, second.key}
    assert kept == 2
    assert aside is not None
    assert aside.exists()
    assert not store.journal_path.exists()
    assert store.load() == repaired


def test_an_object_is_encoded_once_for_the_journal_and_the_state_file_with_the_same_content(tmp_path):
    """record_put's journal record is the record json.dumps makes of it, and write reuses the entry's
    JSON as its state file line: the file is byte for byte state_text of the state, also for an entry
    replaced in state since (a refresh) or never journaled."""
    store = StateStore(tmp_path, "dev")
    state = store.create()
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "é", "namespace": "a"}, "data": {"k": "v \"q\"\n"}}
    patched = Entry(ObjectKey.of(manifest), "C", manifest, patch=True, deletion="retain", written="abc")
    store.record_put(state, entry("a"))
    store.record_put(state, patched)
    store.record_delete(state, entry("a").key)
    record = json.loads(store.journal_path.read_bytes().splitlines()[1])
    assert record == {"lineage": state.lineage, "serial": 2, "op": "put", "key": patched.key.to_json(), "entry": patched.to_json()}
    state.entries[entry("b").key] = entry("b")  # never journaled
    store.record_put(state, entry("c"))
    state.entries[entry("c").key] = Entry(entry("c").key, "changed since", entry("c").manifest)
    store.write(state)
    assert store.path.read_text() == state_text(state.to_json("dev"))
    assert store.load() == state
