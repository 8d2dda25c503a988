"""Where the embedded engine applies objects. The interface is small on purpose: a live-cluster target
(kubectl server-side apply) needs only these operations.

``directory`` (the default, ``deploy/<stack>``) writes YAML files and a ``kustomization.yaml`` listing
them, ready for ``kubectl apply -k deploy/<stack>`` or a GitOps controller. Its layout is either

- ``object`` (the default): one file per object, named from its kind, namespace and name; or
- ``namespace``: one multi-document file per namespace (``<namespace>.yaml``: the Namespace and
  everything in it, in apply order) and one for the other cluster-scoped objects
  (``_cluster.yaml``; no namespace name has an underscore). Thousands of objects become as many
  files as namespaces, which kustomize and GitOps controllers read far faster.

Either way the patches of objects the cluster already has sit in ``patches/``, one file each, outside
the kustomization, and a program with several clusters gets a directory per cluster.

Writing, and what a crash leaves: a new file is created in place (files.create: exclusively, never
through a symlink; from ``CREATE_ASIDE_FROM`` new files on, by a helper process while the engine goes
on, creator.py), one that is there is replaced through a rename (files.replace); neither is synced
by itself (a sync per file was most of an ``up`` of 60,000 objects). ``apply`` hands a change back, to
be recorded in the state's journal, only once its file is durable: it syncs what it wrote about once
a second (``SYNC_EVERY``) and at its end, and ``finalize`` syncs the kustomizations and the claim
before the state file is written. So what state records is on disk, whatever stops the run; a crash
or a power cut before a sync leaves files no record names, which the next run takes as left by a run
(``_left_by_a_run``: they hold exactly what it puts there, or the start of it, or nothing) and writes
again; and a file replaced but not yet recorded differs from what state records, which a refresh
finds. Reading back skips the files whose stat says they are unchanged (stat_index.py).

One module (~610 lines) because it is one thing: the directory target, whose writing, reading back,
indexing and claim all guard the same rule, that it touches only what it wrote (engine/layout.py
names the files; files.py writes them).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..errors import ClusterstackError
from ..files import Batch, create, replace
from ..kube.kinds import ObjectKey
from ..kube.serialize import Loader, to_yaml
from ..stack.target import Layout, TargetSettings
from .creator import Creator
from .layout import NAMING, file_name, part_name, relative_path
from .plan import Change
from .secrets import Sealer, SecretWriting
from .stat_index import StatIndex
from .state import Entry

KUSTOMIZATION = "kustomization.yaml"
CLUSTER_FILE = "_cluster.yaml"
CLAIM = ".clusterstack-target"
"""The file that says which project's stack a directory target belongs to, and which kustomizations in
it clusterstack wrote (render.RESERVED_NAMES keeps every object's file off these names)."""


class Target(Protocol):
    layout: Layout
    naming: int
    secrets: SecretWriting

    def describe(self) -> str: ...

    def apply(self, changes: Sequence[Change], held: Mapping[ObjectKey, Entry]) -> Iterator[Change]:
        """Make the target hold each change (``after``, or nothing for a delete), yielding each once it
        does, for the caller to record. ``held`` is what the target holds before (the state); the
        caller records each yielded change into it before the next is applied. Idempotent."""
        ...

    def read(self, entry: Entry) -> dict[str, Any] | None:
        """The object (or patch) as the target holds it now, or None when it is gone."""

    def written(self, key: ObjectKey, patch: bool) -> str:
        """The SHA-256 of the file this run wrote the object in ("" for none, or a target without files)."""
        ...

    def laid_out(self, layout: Layout, naming: int) -> Target:
        """The same target laid out in ``layout`` with file ``naming`` (to read what an earlier
        arrangement wrote)."""
        ...

    def finalize(self, entries: Iterable[Entry]) -> None:
        """After a run: whatever indexes the objects (a kustomization) lists exactly ``entries``."""

    def relayout(self, entries: Iterable[Entry], previous: Layout, naming: int) -> None:
        """Hold ``entries`` in this target's layout and naming, and nothing in the ``previous`` ones."""

    def unmanaged(self, entries: Iterable[Entry]) -> list[str]:
        """What the target holds that none of ``entries`` accounts for (clusterstack leaves it alone)."""

    def prepare(self, changes: Sequence[Change], held: Mapping[ObjectKey, Entry]) -> None:
        """Before anything is written: the target is this stack's, and nothing the changes would write
        over is anyone else's (a ClusterstackError naming it otherwise)."""


SYNC_EVERY = 1.0
"""Seconds between syncs of what ``apply`` wrote: a change is handed back to be recorded only once its
file is durable, in batches rather than one sync per file (see the module's docstring)."""

CREATE_ASIDE_FROM = 2000
"""New files in one ``apply`` from which a helper process creates them while the engine goes on
(creator.py: at 60,000 files, a third of an ``up``); fewer are created in-process, where starting the
helper (about 30 ms) would cost more than it saves."""
REPORTS_AFTER = 256
"""Files handed to the helper and not yet reported beyond which ``apply`` reads its reports (each read a system call or two)."""

PATCHES = "patches"
PATCH_HEADER = """\
# A server-side-apply patch of an object the cluster already has (onExisting: adopt): it sets only
# these fields, and is not in the kustomization, so nothing tries to create the object. Apply it with
#   kubectl apply --server-side --field-manager=clusterstack --force-conflicts -f <this file>
"""


class DirectoryTarget:
    """YAML files in a directory, in one of two layouts (see the module's docstring)."""

    def __init__(self, root: Path, layout: Layout = "object", kustomization: bool = True, naming: int = NAMING) -> None:
        self.root = root
        self._root_text = str(root)
        self.layout: Layout = layout
        self.naming = naming
        self.kustomization = kustomization
        self._directories: set[Path] = set()
        """Directories this run has made sure exist."""
        self._written: dict[Path, str] = {}
        """The SHA-256 of each file this run wrote."""
        self._read: dict[Path, tuple[str, bytes, os.stat_result] | None] = {}
        """Each file read back in this run: its SHA-256, its bytes and its stat before the read (None: gone)."""
        self.secrets = SecretWriting("omit", Sealer(None))
        """What is written of objects holding secret values (run.py gives the stack's setting and key)."""
        self.owner: dict[str, str] = {}
        """The project and stack this target belongs to (``open_target``): its claim."""
        self._vacated: set[Path] = set()
        """Directories in which this run removed a file: removed in turn if that left them empty."""
        self._paths: dict[tuple[ObjectKey, bool, Layout], Path] = {}
        """Each object's file, as ``path`` found it: a run asks for each several times (plan, apply, index)."""
        self._batch = Batch()
        """What this run wrote or removed and has not yet made durable (files.py)."""
        self._creator: Creator | None = None
        """The helper creating this apply's new files, while one does (``apply``)."""
        self._handed: dict[Path, tuple[bytes, int, str]] = {}
        """Each file handed to the helper and not yet reported: its bytes, mode and digest."""
        self.stats = StatIndex(None, root, layout, naming)
        """The stat of each file when it held what state records (``open_target`` gives it its file)."""

    def describe(self) -> str:
        return f"directory {self.root}" + (f" (layout: {self.layout})" if self.layout != "object" else "")

    def path(self, key: ObjectKey, patch: bool = False, layout: Layout | None = None) -> Path:
        """The file that holds the object (or its patch)."""
        wanted = (key, patch, layout if layout is not None else self.layout)
        found = self._paths.get(wanted)
        if found is None:
            found = self._paths[wanted] = self._path(*wanted)
        return found

    def _path(self, key: ObjectKey, patch: bool, layout: Layout) -> Path:
        if layout == "object" and not patch and not key.cluster:  # (most objects: their name, in the root)
            return self.root / file_name(key, naming=self.naming)
        relative = relative_path(key, naming=self.naming)
        if patch:
            return self.root / relative.parent / PATCHES / relative.name
        if layout == "object":
            return self.root / relative
        if key.namespace:
            name = part_name(key.namespace)
        elif key.kind == "Namespace" and key.group == "":
            name = part_name(key.name)
        else:
            name = CLUSTER_FILE
        return self.root / relative.parent / name

    def apply(self, changes: Sequence[Change], held: Mapping[ObjectKey, Entry]) -> Iterator[Change]:
        # The changes to each file are applied together: one write per file, however many objects
        # in it change. Each file is rebuilt from what it holds (``held``) and its changes.
        by_file: dict[Path, list[Change]] = {}
        for change in changes:
            by_file.setdefault(self.path(change.key, change.patch), []).append(change)
        keys_by_file: dict[Path, set[ObjectKey]] = {}
        if self.layout != "object":
            for key, entry in held.items():
                keys_by_file.setdefault(self.path(key, entry.patch), set()).add(key)
        pending: list[Change] = []
        handed: dict[Path, list[Change]] = {}
        """The changes of each file handed to the helper and not yet reported (pending once it is)."""
        if self.layout == "object" and sum(change.key not in held for change in changes) >= CREATE_ASIDE_FROM:
            self._creator = Creator.start()
        synced = time.monotonic()
        try:
            for path, group in by_file.items():
                if self._apply_file(path, group, held, keys_by_file):
                    pending.extend(group)
                else:
                    handed[path] = group
                if self._creator is not None and len(handed) >= REPORTS_AFTER:
                    self._landed(self._creator.reports(), handed, pending)
                if time.monotonic() - synced >= SYNC_EVERY:
                    yield from self._durable(pending)
                    synced = time.monotonic()
            while self._creator is not None and self._creator.busy:
                self._landed(self._creator.reports(wait=True), handed, pending)
        except OSError:
            # A fault (a full disk): what landed whole before it is made durable and recorded, as
            # it would have been without the fault; the fault is what the run reports.
            try:
                landed = list(self._durable(pending))
            except OSError:
                landed = []
            yield from landed
            raise
        finally:
            if self._creator is not None:
                self._creator.close()  # at once when the run ends early: what it did not report is not recorded
                self._creator = None
                self._handed.clear()
        yield from self._durable(pending)

    def _landed(self, reports: list[tuple[Path, os.stat_result | None]], handed: dict[Path, list[Change]], pending: list[Change]) -> None:
        """The files the helper reported: written (or, where something was there, written here as
        ``_put`` does), so their changes are pending like those of the files written here."""
        for path, created in reports:
            data, mode, digest = self._handed.pop(path)
            if created is None:
                status = self._put(path, data, mode)
            else:
                status = created
                self._batch.wrote(path, status)
            self._wrote(path, digest, status)
            pending.extend(handed.pop(path))

    def _durable(self, pending: list[Change]) -> Iterator[Change]:
        """Sync the batch, then release ``pending`` to be recorded (emptied). When the sync fails none
        of them is known durable: none is released (the next run takes their files as left by a run)."""
        try:
            self._batch.sync()
        except OSError:
            pending.clear()
            raise
        released = list(pending)
        pending.clear()
        yield from released

    def _apply_file(self, path: Path, group: list[Change], held: Mapping[ObjectKey, Entry], keys_by_file: dict[Path, set[ObjectKey]]) -> bool:
        """Rewrite one file with its changes; False when a new file was handed to the helper (``_write_file``)."""
        contents = {key: held[key] for key in keys_by_file.get(path, ())}
        for change in group:
            before = held.get(change.key)
            if before is not None and before.patch != change.patch and change.after is not None:
                # Replaced by a different kind of resource (object <-> patch): it leaves its old file.
                old = self.path(change.key, before.patch)
                self._drop(old, change.key, held, keys_by_file)
            if change.after is None:
                contents.pop(change.key, None)
                if change.deletion == "retain":
                    self._keep_retained(change)
            else:
                contents[change.key] = Entry(change.key, change.component, change.after, change.patch, change.deletion)
        retained_file = self.layout == "object" and all(c.after is None and c.deletion == "retain" for c in group)
        keys_by_file[path] = set(contents)
        if retained_file:  # (in the object layout a retained object's file simply stays)
            return True
        new = self._creator is not None and all(change.key not in held for change in group)
        return self._write_file(path, sorted(contents.values(), key=lambda e: e.key.sort_key()), aside=new)

    def _drop(self, path: Path, key: ObjectKey, held: Mapping[ObjectKey, Entry], keys_by_file: dict[Path, set[ObjectKey]]) -> None:
        """Rewrite ``path`` without ``key``."""
        remaining = keys_by_file.get(path, {key}) - {key}
        keys_by_file[path] = remaining
        self._write_file(path, sorted((held[k] for k in remaining), key=lambda e: e.key.sort_key()))

    def _keep_retained(self, change: Change) -> None:
        """A retained object stays in the directory, no longer managed: in the namespace layout it
        moves to a file of its own (its object-layout name), outside the kustomization."""
        if self.layout != "object" and change.before is not None and not change.patch:
            path = self.path(change.key, layout="object")
            self._ensure_directory(path.parent)
            content = self.secrets.content(change.key, change.before)
            if content is not None:
                self._put(path, to_yaml(content).encode(), _mode(change.before, content))

    def _write_file(self, path: Path, entries: list[Entry], *, aside: bool = False) -> bool:
        """A file holding exactly ``entries`` (removed when there are none). With ``aside``, a new file
        is handed to the helper, if one runs: then False, and it counts as written once reported (``_landed``)."""
        found = self._file_bytes(entries)
        if found is None:
            self._remove(path)
            return True
        data, private = found
        self._ensure_directory(path.parent)
        mode = 0o600 if private else 0o644
        digest = self._digest(data, private)
        if aside and self._creator is not None:
            self._creator.create(path, data, mode)
            self._handed[path] = (data, mode, digest)
            self._read.pop(path, None)
            return False
        self._wrote(path, digest, self._put(path, data, mode))
        return True

    def _wrote(self, path: Path, digest: str, status: os.stat_result) -> None:
        """Note a file this run wrote: its digest, and its stat holding it."""
        self._written[path] = digest
        self.stats.vouch(path, digest, status, wrote=True)
        self._read.pop(path, None)

    def _file_bytes(self, entries: list[Entry]) -> tuple[bytes, bool] | None:
        """The bytes of a file holding ``entries`` and whether they hold secret values in plain text;
        None when nothing of them is written."""
        contents = [(entry, self.secrets.content(entry.key, entry.manifest)) for entry in entries]
        written = [(entry, content) for entry, content in contents if content is not None]
        if not written:
            return None
        text = "---\n".join((PATCH_HEADER if entry.patch else "") + to_yaml(content) for entry, content in written)
        return text.encode(), any(content is not entry.manifest for entry, content in written)

    def _put(self, path: Path, data: bytes, mode: int = 0o644) -> os.stat_result:
        """Write one of the target's files. Nothing planted in the directory redirects it: a new file
        is created in place, exclusively and never through a symlink (files.create); one that is there
        is replaced through a rename (files.replace: a reader sees the old content or the new, a
        symlink in its place is replaced, not followed). Neither is synced here: ``_batch`` is, before
        anything records the file (``apply``, ``finalize``)."""
        status = create(path, data, mode)
        if status is None:
            if path.is_dir() and not path.is_symlink():
                raise ClusterstackError([f"{path} is a directory, where clusterstack keeps a file of its target; move it away, then run up again"])
            status = replace(path, data, mode)
        self._batch.wrote(path, status)
        return status

    def _digest(self, data: bytes, private: bool) -> str:
        """What state records of a file written: its SHA-256, or for one holding secret values in plain
        text a keyed digest (a plain hash of a known manifest would let its secret be guessed)."""
        if private:
            return "hmac-sha256:" + hmac.new(self.secrets.sealer.key(), data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    def laid_out(self, layout: Layout, naming: int) -> DirectoryTarget:
        if (layout, naming) == (self.layout, self.naming):
            return self
        other = DirectoryTarget(self.root, layout, self.kustomization, naming)
        other.secrets = self.secrets
        return other

    def written(self, key: ObjectKey, patch: bool) -> str:
        """The SHA-256 of the file this run wrote the object (or patch) in; "" if it wrote none."""
        return self._written.get(self.path(key, patch), "")

    def _ensure_directory(self, directory: Path) -> None:
        """``directory`` made, each level below the target's root a real directory (never a symlink
        followed out of the target)."""
        if directory in self._directories:
            return
        self._inside(directory / KUSTOMIZATION)
        directory.mkdir(parents=True, exist_ok=True)
        for level in (directory, *directory.parents):  # a made directory's entry is in its parent: each made durable
            self._batch.changed(level)
            if level == self.root:
                break
        self._directories.add(directory)

    def _inside(self, path: Path) -> None:
        """Refuse a path whose directories below the root include a symlink (OSError ELOOP, which read
        reports as a changed file and ``prepare`` names)."""
        if os.path.dirname(path) == self._root_text:  # (most files: nothing between them and the root)
            return
        for parent in reversed(path.relative_to(self.root).parents):
            level = self.root / parent
            if level != self.root and level.is_symlink():
                raise OSError(errno.ELOOP, "a symlink, where clusterstack keeps a directory of its target", str(level))

    def _remove(self, path: Path) -> None:
        """Remove a file this target wrote (a state entry accounts for it)."""
        try:
            path.unlink()
        except FileNotFoundError:
            return
        self._batch.changed(path)
        self.stats.forget(path)
        self._vacated.add(path.parent)

    def read(self, entry: Entry) -> dict[str, Any] | None:
        path = self.path(entry.key, entry.patch)
        if entry.written and path not in self._read and self._unchanged(path, entry.written):
            return entry.manifest  # its stat is the one it had holding these bytes: not even read
        if self.secrets.mode != "plaintext" and self.secrets.withheld(entry.key, entry.manifest):
            return entry.manifest  # never written, so nothing in the target to differ from it
        unreadable = {"(unreadable)": str(path)}
        if path not in self._read:
            try:
                self._inside(path)
                data, status = _read_file_and_stat(path)
            except FileNotFoundError:
                self._read[path] = None
            except OSError:  # a symlink, a directory, no permission: there, but not a file clusterstack reads
                return unreadable
            else:
                self._read[path] = (hashlib.sha256(data).hexdigest(), data, status)
        found = self._read[path]
        if found is None:
            return None
        digest, content, status = found
        if entry.written.startswith("hmac-sha256:"):
            digest = self._digest(content, private=True)
        if entry.written and digest == entry.written:
            self.stats.vouch(path, entry.written, status, wrote=False)
            return entry.manifest  # the very bytes it was written as: unchanged, and no need to parse them
        try:
            documents = [d for d in yaml.load_all(content.decode("utf-8"), Loader=_LOADER) if d is not None]
        except (UnicodeDecodeError, yaml.YAMLError):
            return unreadable
        if self.layout == "object" or entry.patch:
            found_document = documents[0] if len(documents) == 1 and isinstance(documents[0], dict) else None
        else:
            found_document = next((d for d in documents if isinstance(d, dict) and _key_of(d, entry.key.cluster) == entry.key), None)
            if found_document is None:
                return None
        if found_document is None:
            return unreadable
        # Secret values read back are compared, and recorded as drift, sealed: state never holds them.
        return self.secrets.sealer.sealed_like(found_document, entry.manifest)

    def _unchanged(self, path: Path, written: str) -> bool:
        """Whether the stat index vouches that ``path`` holds the bytes of ``written`` (stat_index.py)."""
        try:
            self._inside(path)
        except OSError:
            return False
        return self.stats.unchanged(path, written)

    def finalize(self, entries: Iterable[Entry]) -> None:
        """One kustomization per cluster directory (the root for the program's one cluster), listing
        exactly its files (not the patches), unless the target has none. Only what clusterstack wrote
        is touched: a kustomization it wrote that now lists nothing is removed, and so is a directory
        this run emptied; anything else in the directory stays."""
        entries = list(entries)
        by_directory = self.listed(entries)
        ours = self._claimed_kustomizations(self._claim())
        indexed: list[str] = []
        candidates = set(by_directory) | {path.parent for path in ours} | self._vacated
        for directory in sorted(candidates, key=lambda d: len(d.parts), reverse=True):
            files = list(by_directory.get(directory, {}))
            kustomization = directory / KUSTOMIZATION
            if files and self.kustomization and directory.name != PATCHES:
                self._index(kustomization, files)
                indexed.append(str(kustomization.relative_to(self.root)))
            elif kustomization in ours:
                self._remove(kustomization)
            if directory != self.root and directory in self._vacated and directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
                self._batch.changed(directory)
                self._vacated.add(directory.parent)
        if entries:
            self._write_claim(sorted(indexed))
        elif self.root.is_dir():  # nothing left (a destroy): the claim goes, and the directory if it is empty
            self._remove(self.root / CLAIM)
            if not any(self.root.iterdir()):
                self.root.rmdir()
                self._batch.changed(self.root)
        self._batch.sync()  # the run is done only once all it wrote is durable (before the state says so)
        self.stats.save((self.path(entry.key, entry.patch), entry.written) for entry in entries if entry.written)

    def listed(self, entries: Iterable[Entry]) -> dict[Path, dict[str, None]]:
        """The files of ``entries`` that a kustomization lists (not the patches, nor what is withheld),
        by directory, each directory's in the order of the first object in each (a dict: an ordered
        set, so grouping 60,000 objects stays linear)."""
        by_directory: dict[Path, dict[str, None]] = {}
        for entry in sorted(entries, key=lambda e: e.key.sort_key()):
            if entry.patch or self.secrets.withheld(entry.key, entry.manifest):
                continue
            path = self.path(entry.key)
            by_directory.setdefault(path.parent, {})[path.name] = None
        return by_directory

    def _claim(self) -> dict[str, Any] | None:
        """The claim file's content: None when there is none; a ClusterstackError when it is unreadable."""
        path = self.root / CLAIM
        try:
            data = json.loads(_read_file(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise ClusterstackError([f"{path}: cannot read whose target this is ({error}); it names the project and stack that own {self.root}"]) from None
        if not isinstance(data, dict):
            raise ClusterstackError([f"{path}: not a clusterstack claim; it names the project and stack that own {self.root}"])
        return data

    def _claimed_kustomizations(self, claim: dict[str, Any] | None) -> set[Path]:
        listed = claim.get("kustomizations") if claim is not None else None
        return {self.root / str(relative) for relative in listed} if isinstance(listed, list) else set()

    def claim_text(self, kustomizations: list[str]) -> str:
        """The claim file naming this target's owner and the kustomizations (relative paths) it wrote."""
        return json.dumps({**self.owner, "kustomizations": kustomizations}, indent=1, sort_keys=True) + "\n"

    def _write_claim(self, kustomizations: list[str]) -> None:
        text = self.claim_text(kustomizations)
        path = self.root / CLAIM
        try:
            if _read_file(path).decode() == text:
                return
        except (OSError, UnicodeDecodeError):
            pass
        self._put(path, text.encode())

    def _index(self, kustomization: Path, files: list[str]) -> None:
        text = kustomization_text(files)
        try:
            if _read_file(kustomization).decode() == text:
                return
        except (OSError, UnicodeDecodeError):
            pass
        self._ensure_directory(kustomization.parent)
        self._put(kustomization, text.encode())

    def _left_by_a_run(self, path: Path, entries: list[Entry]) -> bool:
        """Whether ``path`` is a file an interrupted run wrote but did not live to record: a regular file
        holding only objects this plan puts there, or the start of the very bytes this plan writes
        there (nothing included): what a run killed, or cut by a power failure, while it created the
        file leaves (files.create). A user's file holds something else, and is never read through a symlink."""
        try:
            data, status = _read_file_and_stat(path)
        except OSError:
            return False
        if not stat.S_ISREG(status.st_mode):  # a pipe, a device: nothing a run leaves
            return False
        planned = self._file_bytes(sorted(entries, key=lambda e: e.key.sort_key()))
        if planned is not None and planned[0].startswith(data):
            return True
        try:
            documents = [d for d in yaml.load_all(data.decode("utf-8"), Loader=_LOADER) if d is not None]
        except (UnicodeDecodeError, yaml.YAMLError):
            return False
        keys = {entry.key for entry in entries}
        cluster = next(iter(keys)).cluster
        return bool(documents) and all(isinstance(d, dict) and _key_of(d, cluster) in keys for d in documents)

    def prepare(self, changes: Sequence[Change], held: Mapping[ObjectKey, Entry]) -> None:
        """Before anything is written: the directory is no other stack's (its claim file), and no file
        a change would write is one clusterstack did not write (state accounts for its own), nor sits
        below a symlinked directory. Every conflict is named at once."""
        claim = self._claim()
        if claim is not None and {key: claim.get(key) for key in self.owner} != self.owner:
            raise ClusterstackError(
                [
                    (f"{self.root} is the target of stack {claim.get('stack')!r} of project {claim.get('project')!r} ({claim.get('root')}), "
                    f"not of this one ({self.owner.get('stack')!r} of {self.owner.get('root')}): give each stack a target path of its own")
                ]
            )
        owned = {self.path(entry.key, entry.patch) for entry in held.values()}
        ours = self._claimed_kustomizations(claim)
        if claim is None and held:  # a target written before claims existed: its kustomizations are clusterstack's
            ours = {path.parent / KUSTOMIZATION for path in owned}
        placed: dict[Path, list[Entry]] = {}

        def placed_at(path: Path) -> list[Entry]:
            """The entries this plan puts in ``path`` (grouped when first asked: an up into an empty target never asks)."""
            if not placed:
                for change in changes:
                    if change.after is not None:
                        entry = Entry(change.key, change.component, change.after, change.patch, change.deletion)
                        placed.setdefault(self.path(change.key, change.patch), []).append(entry)
            return placed[path]

        conflicts = []
        # Asked once per directory, not per file: whether it is there at all (nothing is in a directory
        # that is not: an up into an empty target looks up no file), and its kustomization.
        directory_there: dict[Path, bool] = {}
        foreign_kustomization: dict[Path, bool] = {}
        for change in changes:
            if change.after is None:
                continue
            path = self.path(change.key, change.patch)
            try:
                self._inside(path)
            except OSError:
                conflicts.append(f"{path}: a directory on its way is a symlink; clusterstack never writes through one")
                continue
            there = directory_there.get(path.parent)
            if there is None:
                there = directory_there[path.parent] = os.path.lexists(path.parent)
            if there and path not in owned and os.path.lexists(path) and not self._left_by_a_run(path, placed_at(path)):
                conflicts.append(f"{path}: a file clusterstack did not write is where {change.key} belongs; move it away, then run up again")
            if self.kustomization and not change.patch:
                kustomization = path.parent / KUSTOMIZATION
                foreign = foreign_kustomization.get(kustomization)
                if foreign is None:
                    foreign = foreign_kustomization[kustomization] = there and kustomization not in ours and os.path.lexists(kustomization)
                if foreign:
                    conflicts.append(
                        f"{kustomization}: a kustomization clusterstack did not write is where it keeps its own; move it away, then run up again"
                    )
        if conflicts:
            raise ClusterstackError(sorted(set(conflicts)))

    def relayout(self, entries: Iterable[Entry], previous: Layout, naming: int) -> None:
        held = {entry.key: entry for entry in entries}
        before = self.laid_out(previous, naming)
        old_files = {before.path(entry.key, entry.patch) for entry in held.values()}
        creates = [Change("create", entry.key, entry.component, None, entry.manifest, patch=entry.patch, deletion=entry.deletion) for entry in held.values()]
        for _ in self.apply(creates, {}):
            pass
        for path in old_files - {self.path(entry.key, entry.patch) for entry in held.values()}:
            self._remove(path)
        self.finalize(held.values())

    def unmanaged(self, entries: Iterable[Entry]) -> list[str]:
        """Files in the directory that no object in state accounts for."""
        if not self.root.is_dir():
            return []
        known = {self.path(entry.key, entry.patch).relative_to(self.root) for entry in entries}
        found = []
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if path.is_file() and relative not in known and path.name != KUSTOMIZATION and not path.name.startswith("."):
                found.append(str(relative))
        return found


def kustomization_text(files: list[str]) -> str:
    """A kustomization listing ``files``."""
    return to_yaml({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": files})


def _key_of(document: dict[str, Any], cluster: str) -> ObjectKey | None:
    try:
        return ObjectKey.of(document, cluster)
    except (KeyError, TypeError, AttributeError):
        return None


_LOADER = Loader


def _mode(manifest: Any, content: Any) -> int:
    """A file holding secret values in plain text is its owner's only."""
    return 0o600 if content is not manifest else 0o644


def _read_file(path: Path) -> bytes:
    """A file's bytes, never through a symlink (ELOOP: the caller reports it as changed by hand)."""
    return _read_file_and_stat(path)[0]


def _read_file_and_stat(path: Path) -> tuple[bytes, os.stat_result]:
    """A file's bytes and its stat taken before they were read (what the stat index records: a write
    after it changes the stat), never through a symlink, and never waiting on a pipe planted there."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        return handle.read(), status


def open_target(settings: TargetSettings, project_root: Path, stack: str, project: str = "", index: Path | None = None) -> DirectoryTarget:
    """The stack's target; ``index``: the file of its stat index (stat_index.py), beside its state."""
    target = DirectoryTarget(settings.directory(project_root, stack), settings.layout, settings.kustomization)
    target.owner = {"project": project, "root": str(project_root.resolve()), "stack": stack}
    target.stats = StatIndex(index, Path(os.path.abspath(target.root)), target.layout, target.naming)
    return target
