"""A cluster's namespaces, read back into ``namespaces`` (tenants), ``existingNamespaces`` (the system's
namespaces' labels) and ``loadBalancers``.

Each namespace's objects become one tenant spec: labels and annotations, the Pod Security labels as
``podSecurity``, ResourceQuotas as ``quota``/``quotas``, its LimitRange as ``limits``, RoleBindings to
``admin``/``edit``/``view`` and ServiceAccounts as ``access``, NetworkPolicies as ``networkPolicy``
(policies.py), Services of type LoadBalancer as ``loadBalancers``. Each part is validated by the
component's own model, and the whole tenant rendered by the component (``build_tenant``) and compared
with what the cluster has: every field the render would not reproduce is a note, so the report lists
exactly what the stack loses. System namespaces (``default``, ``kube-*``) are never tenants; only their
labels are kept, under ``existingNamespaces``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ..components import labels as standard
from ..components.access import CLUSTER_ROLES, RBAC_GROUP, TenantAccess, binding_name
from ..components.cluster import ClusterDns
from ..components.existing_namespaces import ExistingNamespaceArgs
from ..components.limits import LIMIT_RANGE_NAME, Limits
from ..components.load_balancer import LoadBalancerArgs, build_load_balancer
from ..components.pod_security import LABEL_PREFIX, LEVELS, MODES, PodSecurity
from ..components.pydantic_errors import describe
from ..components.quota import QuotaSpec
from ..components.tenant import TENANT_QUOTA_NAME, TenantNamespaceArgs, build_tenant
from ..kube.names import reserved_namespace
from ..kube.paths import dotted
from . import balancers, policies
from .dump import LiveObject
from .report import Note, Outcome

APPLICATION_KINDS = ("ConfigMap", "Deployment", "DaemonSet")
"""What a dump of the baseline's kinds also holds in a tenant's namespace: an application's, not the baseline's."""
_CONTROLLER_MADE = {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")}
"""Objects Kubernetes' controllers put in every namespace: never a tenant's intent."""
_LIMIT_TYPES = {"Container": "container", "Pod": "pod", "PersistentVolumeClaim": "persistentVolumeClaim"}
_ROLES = {cluster_role: role for role, cluster_role in CLUSTER_ROLES.items()}


def is_system(namespace: str) -> bool:
    return reserved_namespace(namespace) is not None


def map_tenants(objects: Sequence[LiveObject], dns: ClusterDns) -> tuple[dict[str, Any], list[Note]]:
    """The ``namespaces``, ``existingNamespaces`` and ``loadBalancers`` values for ``objects`` (normalised
    already), and the notes: what did not fit and what is kept in the raw form. ``dns`` is where the
    stack's ``allowDNS`` policies send DNS, so an ``allow-dns`` policy matches only if it is that."""
    notes: list[Note] = []
    by_namespace: dict[str, list[LiveObject]] = defaultdict(list)
    namespaces: dict[str, LiveObject] = {}
    for live in objects:
        if live.kind == "Namespace":
            namespaces[live.name] = live
        elif live.kind in ("ResourceQuota", "LimitRange", "RoleBinding", "ServiceAccount", "NetworkPolicy", "Service", *APPLICATION_KINDS):
            if not live.namespace:
                notes.append(Note(live.describe(), "metadata.namespace", "unfit", "is not set (the manifest leaves it to kubectl's context); add it"))
            else:
                by_namespace[live.namespace].append(live)
    tenants: dict[str, Any] = {}
    existing: dict[str, Any] = {}
    balancers: dict[str, Any] = {}
    for name in sorted(set(namespaces) | set(by_namespace)):
        contents = by_namespace.get(name, [])
        owner = _owner(namespaces.get(name))
        if is_system(name) or owner:
            if name in namespaces:
                labels = _existing_labels(namespaces[name], notes)
                if labels:
                    existing[name] = labels
                why = f"owned by {owner}" if owner else "a namespace of Kubernetes itself"
                kept = "the stack patches only its labels (existingNamespaces)" if name in existing else "left as it is (it has no labels to keep)"
                notes.append(Note(namespaces[name].describe(), "", "adopted", f"{why}: never a tenant; {kept}"))
            notes.extend(_system_contents(contents))
            continue
        tenant = _Tenant(name, namespaces.get(name), contents, dns, notes)
        # The cluster has these objects: pulumi up takes them over (docs/engine/live.md), never creates them.
        tenants[name] = {**tenant.spec, "onExisting": "adopt"}
        for service, spec in tenant.load_balancers.items():
            if service in balancers:
                notes.append(Note(tenant.describe(service), "metadata.name", "unfit", f"a load balancer named {service} is already imported from namespace "
                                  f"{balancers[service]['namespace']}; the stack names load balancers by Service name alone"))
            else:
                balancers[service] = {**spec, "onExisting": "adopt"}
    fragment = {"namespaces": tenants, "existingNamespaces": existing, "loadBalancers": balancers}
    return {key: value for key, value in fragment.items() if value}, notes


def _owner(namespace: LiveObject | None) -> str:
    """Who owns a namespace a controller made (an operator's Installation): "" when no one does."""
    owners = (namespace.body.get("metadata") or {}).get("ownerReferences") if namespace is not None else None
    if not owners or not isinstance(owners[0], dict):
        return ""
    return f"{owners[0].get('kind')} {owners[0].get('name')} ({owners[0].get('apiVersion')})"


def _system_contents(contents: Iterable[LiveObject]) -> Iterator[Note]:
    """In a system namespace, what a person added that the stack cannot keep there; the distribution's
    own objects (add-ons, their accounts and bindings) are the cluster mappers' to read."""
    for live in contents:
        if live.kind in ("ResourceQuota", "LimitRange", "NetworkPolicy") or balancers.is_load_balancer(live):
            yield Note(live.describe(), "", "unfit", f"{live.namespace} is not the stack's namespace; the stack keeps only its labels (existingNamespaces)")
        elif live.namespace == "default" and live.kind in ("Service", *APPLICATION_KINDS) and (live.kind, live.name) != ("Service", "kubernetes"):
            yield Note(live.describe(), "", "unfit", "an application's object: the stack declares the cluster's baseline, not its workloads")


def _existing_labels(namespace: LiveObject, notes: list[Note]) -> dict[str, Any]:
    meta = namespace.body.get("metadata", {})
    labels = dict(meta.get("labels") or {})
    spec: dict[str, Any] = {}
    pod_security = _pod_security(labels, namespace, notes)
    if pod_security is not None:
        spec["podSecurity"] = pod_security
    for key in sorted(set(labels) & set(standard.RESERVED)):
        if not _own_label(key, labels[key]):
            notes.append(Note(namespace.describe(), f"metadata.labels.{key}", "unfit", "is a label clusterstack sets on what it owns; not kept"))
        del labels[key]
    if labels:
        spec["labels"] = labels
    for key in sorted(meta.get("annotations") or {}):
        notes.append(Note(namespace.describe(), f"metadata.annotations.{key}", "unfit", "the stack keeps only labels of a namespace it does not own"))
    if spec:
        spec = _valid(ExistingNamespaceArgs, spec, namespace, notes, "")
    return spec


def _pod_security(labels: dict[str, Any], namespace: LiveObject, notes: list[Note]) -> Any:
    """Take the Pod Security labels out of ``labels``; the ``podSecurity`` value they say, or None."""
    levels: dict[str, Any] = {mode: labels.pop(f"{LABEL_PREFIX}{mode}") for mode in MODES if f"{LABEL_PREFIX}{mode}" in labels}
    versions: dict[str, Any] = {mode: labels.pop(f"{LABEL_PREFIX}{mode}-version") for mode in MODES if f"{LABEL_PREFIX}{mode}-version" in labels}
    for mode in sorted(set(versions) - set(levels)):
        notes.append(Note(namespace.describe(), f"metadata.labels.{LABEL_PREFIX}{mode}-version", "unfit",
                          f"pins a version for {mode}, which sets no level: the admission plugin ignores it, and the stack cannot write it"))
        del versions[mode]
    for key in sorted(k for k in labels if k.startswith(LABEL_PREFIX)):
        notes.append(Note(namespace.describe(), f"metadata.labels.{key}", "unfit", "is not a Pod Security label the admission plugin reads"))
        del labels[key]
    if not levels:
        return None
    # An absent version is "latest" to the admission plugin (pod-security-admission/api/helpers.go, ParseVersion
    # of ""), so the stack's explicit latest says the same.
    pinned = {mode: versions.get(mode, "latest") for mode in levels}
    if len(levels) == len(MODES) and len(set(levels.values())) == 1 and set(pinned.values()) == {"latest"}:
        return next(iter(levels.values()))
    spec: dict[str, Any] = dict(levels)
    common = set(pinned.values())
    if len(common) == 1:
        if common != {"latest"}:
            spec["version"] = common.pop()
    else:
        spec.update({f"{mode}Version": version for mode, version in pinned.items() if version != "latest"})
    bad = [mode for mode, level in levels.items() if level not in LEVELS]
    for mode in bad:
        notes.append(Note(namespace.describe(), f"metadata.labels.{LABEL_PREFIX}{mode}", "unfit",
                          f"{levels[mode]!r} is not a Pod Security level (privileged, baseline, restricted); not kept"))
    if bad:
        return None
    return _valid(PodSecurity, spec, namespace, notes, "metadata.labels") or None


def _valid(model: type[BaseModel], value: dict[str, Any], live: LiveObject, notes: list[Note], at: str) -> dict[str, Any]:
    """``value`` when ``model`` accepts it, else {} and a note per problem."""
    try:
        model.model_validate(value)
    except ValidationError as error:
        for finding in describe(error, model):
            field = ".".join(part for part in (at, dotted(finding.path)) if part)
            notes.append(Note(live.describe(), field, "unfit", f"{finding.message}; not kept"))
        return {}
    return value


class _Tenant:
    """One namespace's objects, read into a tenant spec (``spec``) and its load balancers."""

    def __init__(self, name: str, namespace: LiveObject | None, contents: Sequence[LiveObject], dns: ClusterDns, notes: list[Note]) -> None:
        self.name = name
        self.notes = notes
        self.spec: dict[str, Any] = {}
        self.load_balancers: dict[str, dict[str, Any]] = {}
        self._sources: dict[tuple[str, str], LiveObject] = {(live.kind, live.name): live for live in contents}
        if namespace is not None:
            self._sources[("Namespace", name)] = namespace
            self._namespace(namespace)
        kinds: dict[str, list[LiveObject]] = defaultdict(list)
        for live in sorted(contents, key=lambda o: (o.kind, o.name)):
            if (live.kind, live.name) in _CONTROLLER_MADE and live.kind == "ConfigMap":
                continue
            kinds[live.kind].append(live)
        self._quotas(kinds["ResourceQuota"])
        self._limits(kinds["LimitRange"])
        self._access(kinds["ServiceAccount"], kinds["RoleBinding"])
        for live in kinds["Service"]:
            self._service(live)
        self._policies(kinds["NetworkPolicy"], dns)
        for kind in APPLICATION_KINDS:
            for live in kinds[kind]:
                notes.append(Note(live.describe(), "", "unfit", "an application's object: the stack declares the namespace's baseline, not its workloads"))
        self._validate()
        self._compare(dns)

    def describe(self, service: str) -> str:
        return self._sources[("Service", service)].describe()

    def _note(self, live: LiveObject, field: str, reason: str, outcome: Outcome = "unfit") -> None:
        self.notes.append(Note(live.describe(), field, outcome, reason))

    def _namespace(self, namespace: LiveObject) -> None:
        meta = namespace.body.get("metadata", {})
        labels = dict(meta.get("labels") or {})
        pod_security = _pod_security(labels, namespace, self.notes)
        for key in sorted(set(labels) & set(standard.RESERVED)):
            if not _own_label(key, labels[key]):
                self._note(namespace, f"metadata.labels.{key}", f"{labels[key]!r}: clusterstack sets this label itself; its value replaces it")
            del labels[key]
        if labels:
            self.spec["labels"] = labels
        if meta.get("annotations"):
            self.spec["annotations"] = dict(meta["annotations"])
        if pod_security is not None:
            self.spec["podSecurity"] = pod_security

    def _quotas(self, quotas: Sequence[LiveObject]) -> None:
        named = []
        for live in quotas:
            body = live.body.get("spec") or {}
            quota: dict[str, Any] = {"name": live.name, "hard": dict(body.get("hard") or {})}
            if body.get("scopes"):
                quota["scopes"] = list(body["scopes"])
            if body.get("scopeSelector"):
                quota["scopeSelector"] = body["scopeSelector"]
            if not _valid(QuotaSpec, quota, live, self.notes, "spec"):
                continue
            if live.name == TENANT_QUOTA_NAME and set(quota) == {"name", "hard"}:
                self.spec["quota"] = quota["hard"]
            else:
                named.append(quota)
        if named:
            self.spec["quotas"] = named

    def _limits(self, ranges: Sequence[LiveObject]) -> None:
        for index, live in enumerate(ranges):
            if index > 0:
                self._note(live, "", f"the stack holds one LimitRange per namespace ({ranges[0].name} is imported); merge them by hand")
                continue
            limits: dict[str, Any] = {}
            for number, item in enumerate((live.body.get("spec") or {}).get("limits") or []):
                key = _LIMIT_TYPES.get(str(item.get("type"))) if isinstance(item, dict) else None
                if key is None or key in limits:
                    self._note(live, f"spec.limits[{number}]", "is a type the stack does not hold (Container, Pod, PersistentVolumeClaim, each once)")
                    continue
                limits[key] = {field: dict(value) for field, value in item.items() if field != "type" and value}
            if not limits or not _valid(Limits, limits, live, self.notes, "spec.limits"):
                continue
            self.spec["limits"] = limits
            if live.name != LIMIT_RANGE_NAME:
                self._note(live, "metadata.name", _renamed(f"the LimitRange {LIMIT_RANGE_NAME}", LIMIT_RANGE_NAME, live))

    def _access(self, accounts: Sequence[LiveObject], bindings: Sequence[LiveObject]) -> None:
        access: dict[str, Any] = {}
        declared: dict[str, Any] = {}
        for live in accounts:
            account = _service_account(live)
            if live.name == "default":
                if account:
                    self._note(live, "", "the default ServiceAccount is Kubernetes' own; the stack cannot set its fields")
                continue
            declared[live.name] = account
            for key, value in sorted(((live.body.get("metadata") or {}).get("labels") or {}).items()):
                if not _own_label(key, value):
                    self._note(live, f"metadata.labels.{key}", "the stack writes no labels of its own on a ServiceAccount; not kept")
        if declared:
            access["serviceAccounts"] = declared
        for live in bindings:
            ref = live.body.get("roleRef") or {}
            role = _ROLES.get(ref.get("name", "")) if ref.get("kind") == "ClusterRole" else None
            if role is None:
                self._note(live, "roleRef", f"binds {ref.get('kind')} {ref.get('name')}; the stack binds only the ClusterRoles admin, edit and view")
                continue
            subjects = access.setdefault(role, {})
            for number, subject in enumerate(live.body.get("subjects") or []):
                kind, name = subject.get("kind"), subject.get("name")
                if kind in ("Group", "User") and subject.get("apiGroup", RBAC_GROUP) == RBAC_GROUP:
                    field = "groups" if kind == "Group" else "users"
                    entry: Any = name
                elif kind == "ServiceAccount":
                    field = "serviceAccounts"
                    where = subject.get("namespace", self.name)
                    entry = name if where == self.name and (name in declared or name == "default") else {"name": name, "namespace": where}
                else:
                    self._note(live, f"subjects[{number}]", f"a {kind} subject the stack cannot bind")
                    continue
                if entry not in subjects.setdefault(field, []):
                    subjects[field].append(entry)
            if live.name != binding_name(role):
                self._note(live, "metadata.name", _renamed(f"the binding to {ref['name']} {binding_name(role)}", binding_name(role), live))
        if access and _valid(TenantAccess, access, bindings[0] if bindings else accounts[0], self.notes, "access"):
            self.spec["access"] = access

    def _service(self, live: LiveObject) -> None:
        if not balancers.is_load_balancer(live):
            self._note(live, "", "an application's Service (not type LoadBalancer): the stack declares only load balancers")
            return
        args, notes = balancers.read(live, self.name)
        self.notes.extend(notes)
        if _valid(LoadBalancerArgs, args, live, self.notes, "spec"):
            self.load_balancers[live.name] = args

    def _policies(self, found: Sequence[LiveObject], dns: ClusterDns) -> None:
        network: dict[str, Any] = {}
        for live in found:
            service = live.name.removeprefix("allow-lb-")
            if live.name.startswith("allow-lb-") and service in self.load_balancers:
                rendered = build_load_balancer(service, LoadBalancerArgs.model_validate(self.load_balancers[service]), None, True).policy
                if rendered is not None and policies.same(rendered["spec"], live.body.get("spec") or {}):
                    self.load_balancers[service]["allowTraffic"] = True  # dropped below where the namespace denies ingress anyway
                    continue  # the load balancer's own policy, which it renders
                self.load_balancers[service]["allowTraffic"] = False  # the cluster's own policy of that name is kept instead
            try:
                matched = policies.match(self.name, live.name, live.body.get("spec") or {}, dns)
            except ValueError as error:
                self._note(live, "", str(error))
                continue
            key, value = matched.setting
            if key in ("allowFrom", "allowTo", "policies"):
                network.setdefault(key, []).append(value)
            else:
                network[key] = value
            if matched.raw_reason:
                self._note(live, "spec", matched.raw_reason, "raw")
            if matched.differs:
                self._note(live, "spec", matched.differs)
        if network:
            if "Egress" in network.get("defaultDeny", []) and "allowDNS" not in network:
                network["allowDNS"] = False  # the cluster's policies allow no DNS: said, so validation knows it is meant
            self.spec["networkPolicy"] = {key: network[key] for key in policies.ORDER if key in network}
        for balancer in self.load_balancers.values():
            if balancer.get("allowTraffic") is True and "Ingress" in network.get("defaultDeny", []):
                del balancer["allowTraffic"]  # the default there: the policy is rendered because ingress is denied

    def _validate(self) -> None:
        """Drop what the tenant as a whole refuses (a LimitRange minimum above the quota), with its note."""
        while True:
            try:
                TenantNamespaceArgs.model_validate(self.spec)
            except ValidationError as error:
                findings = describe(error, TenantNamespaceArgs)
            else:
                return
            top = {str(f.path[0]) for f in findings if f.path} or set(self.spec)
            for finding in findings:
                self.notes.append(Note(f"Namespace {self.name}", dotted(finding.path), "unfit", f"{finding.message}; not kept"))
            for key in top:
                self.spec.pop(key, None)

    def _compare(self, dns: ClusterDns) -> None:
        """Render the tenant as the component would and note every field of the cluster's objects the
        render does not reproduce: what the stack will not keep."""
        args = TenantNamespaceArgs.model_validate(self.spec)
        rendered = build_tenant(self.name, args, None, dns if args.needs_dns else None)
        by_key = {(o["kind"], o["metadata"]["name"]): o for o in rendered.all()}
        noted = {(note.object, note.field) for note in self.notes}  # a field noted when it was read is not noted twice
        for (kind, name), live in sorted(self._sources.items()):
            if kind not in ("Namespace", "ResourceQuota", "ServiceAccount") and not (kind == "LimitRange" and name == LIMIT_RANGE_NAME):
                continue  # bindings are merged by role and policies matched whole, above; load balancers render apart
            ours = by_key.get((kind, name))
            if ours is None:
                continue  # not imported: its note is written
            for path in _lost(ours, live.body):
                if kind == "ServiceAccount" and path == "secrets" and _legacy_tokens(live):
                    continue
                label = path.removeprefix("metadata.labels.")
                if label in standard.RESERVED and (kind == "Namespace" or _own_label(label, live.body["metadata"]["labels"][label])):
                    continue  # the Namespace's were noted above; the others' are clusterstack's own
                if (live.describe(), path) not in noted:
                    self._note(live, path, "the stack does not write this field; not kept")


def _service_account(live: LiveObject) -> dict[str, Any]:
    account: dict[str, Any] = {}
    annotations = (live.body.get("metadata") or {}).get("annotations")
    if annotations:
        account["annotations"] = dict(annotations)
    if live.body.get("automountServiceAccountToken") is not None:
        account["automountToken"] = live.body["automountServiceAccountToken"]
    if live.body.get("imagePullSecrets"):
        account["imagePullSecrets"] = [s.get("name") for s in live.body["imagePullSecrets"]]
    return account


def _legacy_tokens(live: LiveObject) -> bool:
    """``secrets`` the token controller of Kubernetes before 1.24 filled in (``<account>-token-<random>``)."""
    return all(isinstance(s, dict) and str(s.get("name", "")).startswith(f"{live.name}-token-") for s in live.body.get("secrets") or [])


def _own_label(key: str, value: Any) -> bool:
    """A label clusterstack wrote itself: managed-by clusterstack, or the environment (the stack's name,
    which the stack being imported into writes anew)."""
    return key == standard.ENVIRONMENT or value == standard.standard_labels(None)[standard.MANAGED_BY]


def _lost(ours: Any, theirs: Any, at: str = "") -> Iterator[str]:
    """The paths where ``theirs`` holds a value ``ours`` does not reproduce (what ``ours`` adds is not a loss)."""
    if isinstance(theirs, Mapping) and isinstance(ours, Mapping):
        for key, value in theirs.items():
            path = f"{at}.{key}" if at else str(key)
            if key not in ours:
                yield path
            else:
                yield from _lost(ours[key], value, path)
    elif ours != theirs and str(ours) != str(theirs):
        yield at


def _renamed(what: str, name: str, live: LiveObject) -> str:
    """The note on an object the stack declares under another name than the cluster's. The tenant is
    written with onExisting: adopt, which imports every object of it by name; Pulumi refuses to import
    one the cluster lacks ("resource '<id>' does not exist": pulumi/pulumi pkg/resource/deploy/step.go,
    ImportStep.Apply), so the first pulumi up would stop there. The embedded engine records only what
    the dump has (engine/adopted.py): its preview shows the create, as preview --live does."""
    return (
        f"the stack names {what}, which the cluster lacks: onExisting: adopt makes pulumi up import it, and Pulumi imports only "
        f"what exists; before the first pulumi up, create {name} as a copy of {live.name}, then delete {live.name}"
    )
