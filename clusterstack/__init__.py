"""clusterstack: a Kubernetes cluster's platform baseline as Pulumi components, previewed and applied per environment.

The packages read as the data flows, each importing only those above it here
(tests/test_import_layers.py holds the contract):

    errors, files  what every layer uses: the error type, the one way to write a kept file
    kube/          Kubernetes facts, free of Pulumi: kinds, quantities, names, fields, flows, manifests
    components     spec -> Kubernetes objects              (the component library, clusterstack's own)
    stack/         stack files -> validated spec          (Project, read_stack, load_spec)
    program/       the Pulumi program's loader; running it under the mock runtime -> declared objects
    testing        helpers for users' unit tests of programs, under the SDK's mocks
    engine/        objects -> plan -> target, with state   (plan is pure; run does the I/O)
    analysis/      beside the plan: admission, reachability, capacity, environment diffs, forecasts
    cli/           the ``clusterstack`` command on top

The Pulumi program (``__main__.py``) stands on the components and ``clusterstack.program`` only.
"""

FIELD_DOCS_ENV = "CLUSTERSTACK_FIELD_DOCS"
"""``0``: the models leave their fields' docstrings out. They are the published schema's descriptions
(``clusterstack schema``) and nothing else, and pydantic finds them by reading each class's source,
which costs a command ~0.2 s of start-up: the ``clusterstack`` command sets it for every other command.
It sits here, above every layer, because it must be read before the component library is imported."""
