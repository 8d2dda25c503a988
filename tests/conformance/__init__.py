"""Conformance suites: Kubernetes' own test cases, transcribed as data with their citations, run against
clusterstack's models. ``admission.yaml`` holds the LimitRanger, ResourceQuota and quota-evaluator cases
that ``clusterstack admit`` must agree with; ``checks.py`` checks one case and the whole suite."""
