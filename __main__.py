"""The clusterstack program: stack config -> spec -> ClusterPlatform. Both engines run this file."""

from pathlib import Path

import pulumi

from clusterstack.components import ClusterPlatform
from clusterstack.program import stack_args

args = stack_args(Path(__file__).parent)
# legacy_urns: the stacks were first deployed with clusterstack 0.1, whose resources had other
# logical names; the platform answers to those too, so they update in place.
platform = ClusterPlatform("platform", args, environment=pulumi.get_stack(), legacy_urns=True)

pulumi.export("namespaces", platform.namespaces)
pulumi.export("kubernetesVersion", args.cluster.kubernetes_version)
if platform.kubelet_cluster_dns is not None:
    pulumi.export("kubeletClusterDNS", platform.kubelet_cluster_dns)
if platform.load_balancers:
    # Each Service's load-balancer ingress (address or hostname), once a controller has assigned it.
    pulumi.export("loadBalancers", platform.load_balancer_ingress)
