"""clusterstack's tests. They mirror the code, so a reader finds a module's tests by its name:

- ``tests/test_<module>.py`` verifies the source module ``<module>`` (``clusterstack/kube/serialize.py``
  -> ``tests/test_serialize.py``; ``components/tenant.py`` -> ``tests/test_tenant.py``); a package's
  ``__init__.py`` is the module named after its package (``clusterstack/cli/__init__.py`` ->
  ``tests/test_cli.py``). The folder stays flat.
- Where two source modules share a name, both take their package's name too:
  ``tests/test_<package>_<module>.py`` (``stack/target.py`` -> ``test_stack_target.py``,
  ``engine/target.py`` -> ``test_engine_target.py``; ``clusterstack/files.py`` ->
  ``test_clusterstack_files.py``; ``kube/schema.py`` -> ``test_kube_schema.py``).
- Cross-cutting suites are named by what they verify across modules: ``conformance/`` (Kubernetes' own
  test cases), corpus, golden, packaging, parity, docs, import layers and cycles, architecture, the
  end-to-end CLI and engine, the environments and the examples.
- Every test module opens with a docstring: the contract it verifies.

tests/test_mirror.py holds this: a source module with behaviour of its own has its mirrored test
module, or is listed there with a one-line reason (no behaviour of its own, verified by a named
suite, or being split); a new module without either fails it.
"""
