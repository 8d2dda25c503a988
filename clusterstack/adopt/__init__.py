"""Adopting a running cluster: ``clusterstack import`` reads what a cluster has (a ``kubectl get -o
yaml`` dump, or a directory of manifests) and writes the stack's intent.

    dump (load) → kube.live (normalise) → tenants, cluster, dns (map) → writer (merge) → report

It maps Kubernetes objects onto the stack spec, so it sits above ``stack`` and ``kube`` and below the CLI.
"""
