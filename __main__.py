"""The clusterstack program: stack config -> spec -> ClusterPlatform. Both engines run this file."""

from pathlib import Path

import pulumi

from clusterstack.program import stack_args
from components import ClusterPlatform

args = stack_args(Path(__file__).parent)
platform = ClusterPlatform("platform", args, environment=pulumi.get_stack())

pulumi.export("namespaces", platform.namespaces)
pulumi.export("kubernetesVersion", args.cluster.kubernetes_version)
if platform.kubelet_cluster_dns is not None:
    pulumi.export("kubeletClusterDNS", platform.kubelet_cluster_dns)
if platform.load_balancers:
    # Each Service's load-balancer ingress (address or hostname), once a controller has assigned it.
    pulumi.export("loadBalancers", platform.load_balancer_ingress)
