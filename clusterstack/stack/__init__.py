"""Stack files -> validated spec: the project (Pulumi.yaml, project.py), its stack files layered over
common.yaml (files.py), and the spec they validate into (spec.py). This is all the Pulumi program
needs besides the component library; nothing here imports the embedded engine. Import the modules
themselves: reading files does not load the models (and with them Pulumi) that validating does."""
