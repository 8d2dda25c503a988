"""team-app: a team's own Pulumi program. It composes clusterstack's components (a tenant namespace,
a load balancer) with resources of its own (a Deployment), and previews with either engine:
``pulumi preview -s dev`` or ``clusterstack --project-dir examples/team-app preview -s dev``."""

import pulumi
import pulumi_kubernetes as k8s

from components import LoadBalancer, LoadBalancerArgs, TenantNamespace, TenantNamespaceArgs

config = pulumi.Config()
namespace = config.require("namespace")
replicas = config.require_int("replicas")
image = config.require("image")
source_ranges = config.get_object("sourceRanges")
environment = pulumi.get_stack()

tenant = TenantNamespace(
    namespace,
    TenantNamespaceArgs(
        labels={"team": "web"},
        pod_security="restricted",
        quota={"requests.cpu": "2", "requests.memory": "2Gi", "limits.memory": "4Gi", "pods": "20"},
        limits={"container": {"default": {"cpu": "500m", "memory": "256Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}},
        network_policy={"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True},
    ),
    environment=environment,
)

app = {"app": "web"}
deployment = k8s.apps.v1.Deployment(
    "web",
    metadata={"name": "web", "namespace": namespace, "labels": app},
    spec={
        "replicas": replicas,
        "selector": {"matchLabels": app},
        "template": {
            "metadata": {"labels": app},
            "spec": {
                # What the namespace's restricted Pod Security level demands of every pod.
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
    opts=pulumi.ResourceOptions(depends_on=[tenant]),
)

balancer = LoadBalancer(
    "web",
    LoadBalancerArgs(
        namespace=namespace,
        selector=app,
        ports=[{"name": "http", "port": 80, "targetPort": "http"}],
        external_traffic_policy="Local",
        source_ranges=source_ranges if source_ranges is not None else [],
        skip_await=True,  # no load-balancer controller in a test cluster: do not wait for an address
    ),
    opts=pulumi.ResourceOptions(depends_on=[tenant]),
    environment=environment,
    namespace_denies_ingress=True,  # the tenant's defaultDeny includes Ingress: render the allow policy
)

pulumi.export("namespace", tenant.namespace)
pulumi.export("service", balancer.service_name)
pulumi.export("ingress", balancer.ingress)
