"""team-app: a team's own Pulumi program. It composes clusterstack's components (a tenant namespace,
a load balancer) with resources of its own (a Deployment), and previews with either engine:
``pulumi preview -s dev`` or ``clusterstack --project-dir examples/team-app preview -s dev``.

What it shows: the Deployment goes into the namespace the tenant created (an Output), the load
balancer selects the pods by the Deployment's own selector (an Output) and learns from the tenant
that the namespace denies ingress, the tenant's DNS policy is told where the cluster's DNS runs, and
the team edits its namespace while the pods run as a ServiceAccount of their own, without its token.
"""

import pulumi
import pulumi_kubernetes as k8s

from clusterstack.components import ClusterDns, LoadBalancer, LoadBalancerArgs, TenantNamespace, TenantNamespaceArgs, legacy_urns

config = pulumi.Config()
namespace = config.require("namespace")
replicas = config.require_int("replicas")
image = config.require("image")
source_ranges = config.get_object("sourceRanges")
# Where the cluster's DNS runs: staging and prod run NodeLocal DNSCache on this link-local IP, dev does not.
node_local_dns_ip = config.get("nodeLocalDnsIP")
dns = ClusterDns.node_local(node_local_dns_ip) if node_local_dns_ip else ClusterDns.kube_dns()
environment = pulumi.get_stack()

# This program was first deployed with clusterstack 0.1, which named the components' children after
# their Kubernetes objects; inside legacy_urns() they answer to those names too, so nothing is replaced.
with legacy_urns():
    tenant = TenantNamespace(
        namespace,
        TenantNamespaceArgs(
            labels={"team": "web"},
            pod_security="restricted",
            quota={"requests.cpu": "2", "requests.memory": "2Gi", "limits.memory": "4Gi", "pods": "20"},
            limits={"container": {"default": {"cpu": "500m", "memory": "256Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}},
            network_policy={"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True},
            access={"editors": {"groups": ["team-web"]}, "viewers": {"groups": ["sre"]}, "serviceAccounts": {"web": {"automountToken": False}}},
        ),
        dns=dns,
        environment=environment,
    )

app = {"app": "web"}
deployment = k8s.apps.v1.Deployment(
    "web",
    metadata={"name": "web", "namespace": tenant.namespace, "labels": app},
    spec={
        "replicas": replicas,
        "selector": {"matchLabels": app},
        "template": {
            "metadata": {"labels": app},
            "spec": {
                # What the namespace's restricted Pod Security level demands of every pod.
                "serviceAccountName": tenant.service_accounts["web"].metadata.name,  # an Output: it waits for the account
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
)

with legacy_urns():
    balancer = LoadBalancer(
        "web",
        LoadBalancerArgs(
            selector=deployment.spec.selector.match_labels,
            ports=[{"name": "http", "port": 80, "targetPort": "http"}],
            external_traffic_policy="Local",
            source_ranges=source_ranges if source_ranges is not None else [],
            skip_await=True,  # no load-balancer controller in a test cluster: do not wait for an address
        ),
        tenant=tenant,  # its namespace, and that the namespace denies ingress: render the allow policy
        environment=environment,
    )

pulumi.export("namespace", tenant.namespace)
pulumi.export("service", balancer.service_name)
pulumi.export("ingress", balancer.ingress)
