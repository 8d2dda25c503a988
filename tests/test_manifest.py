"""The objects one builder makes (clusterstack/kube/manifest.py): a Bundle gives every object it holds,
in the order its fields are declared, a tuple field contributing each of its items and an absent
(None) one nothing."""

from __future__ import annotations

import dataclasses

from clusterstack.kube.manifest import SHOWN, Bundle, Manifest


@dataclasses.dataclass(frozen=True)
class Tenant(Bundle):
    namespace: Manifest
    quotas: tuple[Manifest, ...]
    limits: Manifest | None
    policy: Manifest


def test_every_object_in_field_order_tuples_flattened_and_none_skipped():
    namespace, quota_a, quota_b, policy = ({"kind": k, "metadata": {"name": n}} for k, n in [("Namespace", "t"), ("ResourceQuota", "a"), ("ResourceQuota", "b"), ("NetworkPolicy", "p")])
    tenant = Tenant(namespace=namespace, quotas=(quota_a, quota_b), limits=None, policy=policy)
    assert tenant.all() == [namespace, quota_a, quota_b, policy]
    assert Tenant(namespace=namespace, quotas=(), limits=policy, policy=policy).all() == [namespace, policy, policy]


def test_a_secret_is_shown_as_one_fixed_text():
    assert SHOWN == "[secret]"
