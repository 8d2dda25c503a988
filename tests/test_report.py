"""clusterstack/adopt/report.py: the import's report lists what did not fit first, then the raw form,
then what is adopted, each note by object and field with its reason, sorted and without repeats."""

from __future__ import annotations

from clusterstack.adopt.report import Note, render, unfit


def test_the_report_groups_by_outcome_sorted_and_counts():
    notes = [
        Note("Service shop/web (d.yaml#3)", "", "adopted", "the cluster has it"),
        Note("ResourceQuota a/q (d.yaml#1)", "spec.hard.nvidia.com/gpu", "unfit", "an extended resource"),
        Note("NetworkPolicy a/p (d.yaml#2)", "", "raw", "not a shape the component generates"),
        Note("ResourceQuota a/q (d.yaml#1)", "spec.hard.nvidia.com/gpu", "unfit", "an extended resource"),
    ]
    assert render(notes, 7, "stacks/Pulumi.dev.yaml") == (
        "stacks/Pulumi.dev.yaml: read 7 objects; 1 not imported, 1 in the raw form, 1 adopted\n"
        "not imported (the stack cannot express it):\n"
        "  ResourceQuota a/q (d.yaml#1): spec.hard.nvidia.com/gpu: an extended resource\n"
        "imported in the raw form (the stack keeps it as written, not as intent):\n"
        "  NetworkPolicy a/p (d.yaml#2): not a shape the component generates\n"
        "adopted (the cluster has it; the stack takes it over, never creates it):\n"
        "  Service shop/web (d.yaml#3): the cluster has it\n"
    )
    assert unfit(notes) == [notes[1], notes[3]]


def test_an_empty_report_is_one_line():
    assert render([], 0, "-") == "-: read 0 objects; 0 not imported, 0 in the raw form, 0 adopted\n"
