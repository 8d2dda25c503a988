"""The one error type users see (clusterstack/errors.py): a Problem reads ``file: key: what``, leaving
out what it does not know; a long quoted value is cut to its start and its length (an apostrophe
opens nothing); a ClusterstackError holds its problems in order, plain text taken as a problem
without a place, and says them one a line."""

from __future__ import annotations

from clusterstack.errors import ClusterstackError, Problem, cut_long_values, listed


def test_a_problem_names_the_file_and_the_key_it_knows():
    assert str(Problem("stacks/Pulumi.prod.yaml", "clusterstack:namespaces.payments.quota.pods", "must be a whole number")) == (
        "stacks/Pulumi.prod.yaml: clusterstack:namespaces.payments.quota.pods: must be a whole number"
    )
    assert str(Problem("Pulumi.yaml", "", "is not a Pulumi project")) == "Pulumi.yaml: is not a Pulumi project"
    assert str(Problem("", "", "no stacks")) == "no stacks"


def test_a_long_quoted_value_is_cut_and_a_short_one_kept():
    long_value = "x" * 1000
    assert cut_long_values(f"got '{long_value}'") == f"got '{'x' * 59}…' (1,000 characters)"
    assert cut_long_values(f'got "{long_value}"') == f'got "{"x" * 59}…" (1,000 characters)'
    assert cut_long_values("got 'short'") == "got 'short'"
    apostrophes = "the cluster's DNS " + "y" * 200 + " isn't"
    assert cut_long_values(apostrophes) == apostrophes
    assert str(Problem("f", "k", f"'{long_value}'")).endswith("(1,000 characters)")


def test_an_error_says_its_problems_one_a_line():
    error = ClusterstackError([Problem("a.yaml", "x", "bad"), "plain text"])
    assert error.problems == [Problem("a.yaml", "x", "bad"), Problem("", "", "plain text")]
    assert str(error) == "a.yaml: x: bad\nplain text"


def test_a_long_list_of_names_shows_the_first_and_counts_the_rest():
    names = [f"team-{i:04d}" for i in range(10_000)]
    assert listed(names) == ", ".join(names[:20]) + " and 9,980 more"
    assert listed(names[:20]) == ", ".join(names[:20])
    assert listed(names[:3], shown=2) == "team-0000, team-0001 and 1 more"
    assert listed([]) == ""
