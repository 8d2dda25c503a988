"""Objects -> plan -> target: the pure plan (plan.py), the state it is planned against (state.py) and
the files that keep it (store.py, lock.py), the directory the objects are applied to (target.py), the
I/O that ties them together (run.py) and saved plans (saved.py)."""
