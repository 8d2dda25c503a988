"""two-clusters: one team's namespace, app and load balancer, and each cluster's DNS add-ons, on two
clusters in one program. Each cluster has its own Kubernetes provider; every component takes it in
its options and hands it to its children. The components name their children after themselves, so
the same namespace and the same Service name on both clusters never share a URN.

    clusterstack --project-dir examples/two-clusters preview -s dev   # objects under deploy/dev/<cluster>/
    cd examples/two-clusters && pulumi preview -s dev                 # with the Pulumi CLI, one kubeconfig context each
"""

import pulumi
import pulumi_kubernetes as k8s

from clusterstack.components import (
    ClusterDns,
    ClusterSpec,
    DnsAutoscaler,
    LoadBalancer,
    LoadBalancerArgs,
    NodeLocalDns,
    TenantNamespace,
    TenantNamespaceArgs,
)

config = pulumi.Config()
namespace = config.require("namespace")
image = config.require("image")
replicas = config.require_int("replicas")
environment = pulumi.get_stack()

for cluster in config.require_object("clusters"):
    name = cluster["name"]
    provider = k8s.Provider(name, context=cluster["context"])
    on_cluster = pulumi.ResourceOptions(provider=provider)

    facts = ClusterSpec()  # kubeadm's defaults: kube-dns at 10.96.0.10, iptables kube-proxy
    DnsAutoscaler(f"{name}-dns-autoscaler", {"linear": {"coresPerReplica": 256, "nodesPerReplica": 16, "min": 2}}, on_cluster, environment=environment)
    if cluster.get("nodeLocalDnsIP"):
        cache = NodeLocalDns(f"{name}-node-local-dns", {"localIP": cluster["nodeLocalDnsIP"]}, on_cluster, cluster=facts, environment=environment)
        dns = cache.cluster_dns
    else:
        dns = ClusterDns.kube_dns()

    tenant = TenantNamespace(
        f"{name}-{namespace}",
        TenantNamespaceArgs(
            name=namespace,  # the same namespace on both clusters; the component's name tells them apart
            labels={"team": "web"},
            pod_security="restricted",
            quota={"requests.cpu": "2", "requests.memory": "2Gi", "limits.memory": "4Gi", "pods": "20"},
            limits={"container": {"default": {"cpu": "500m", "memory": "256Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}},
            network_policy={"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True},
        ),
        on_cluster,
        dns=dns,
        environment=environment,
    )

    app = {"app": "web"}
    deployment = k8s.apps.v1.Deployment(
        f"{name}-web",
        metadata={"name": "web", "namespace": tenant.namespace, "labels": app},
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": app},
            "template": {
                "metadata": {"labels": app},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                        }
                    ],
                },
            },
        },
        opts=on_cluster,
    )

    balancer = LoadBalancer(
        f"{name}-web",
        LoadBalancerArgs(
            name="web",  # the same Service name on both clusters
            selector=deployment.spec.selector.match_labels,
            ports=[{"name": "http", "port": 80, "targetPort": "http"}],
            skip_await=True,
        ),
        on_cluster,
        tenant=tenant,
        environment=environment,
    )
    pulumi.export(f"{name}-ingress", balancer.ingress)
