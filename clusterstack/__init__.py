"""clusterstack's embedded engine and command line: stack files, evaluation, render and validate."""
