"""Kubernetes facts the components and the engine share: quantities, names, resource kinds."""
