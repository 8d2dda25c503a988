"""Beside the plan: what a stack implies, answered without applying it (how two environments
differ, whether the objects pass the Kubernetes schemas, how many DNS replicas the autoscaler picks)."""
