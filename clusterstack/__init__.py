"""clusterstack: a Kubernetes cluster's platform baseline as Pulumi components, previewed and applied per environment.

The packages read as the data flows:

    stack/      stack files -> validated spec          (Project, read_stack, load_spec)
    components  spec -> Kubernetes objects              (the component library, clusterstack's own)
    program/    the Pulumi program's loader; running it under the mock runtime -> declared objects
    engine/     objects -> plan -> target, with state   (plan is pure; run does the I/O)
    analysis/   beside the plan: environment diffs, schema checks, DNS forecasts
    cli/        the ``clusterstack`` command on top

The Pulumi program (``__main__.py``) stands on the components and ``clusterstack.program`` only.
"""
