"""``python -m clusterstack`` and the installed ``clusterstack`` command (pyproject's script)."""

import gc


def run() -> None:
    # The collector off before the CLI's modules load, as main() turns it off for the command itself:
    # importing them makes many long-lived objects and young collections walk them for nothing.
    gc.disable()
    from .program import typeloading

    # pulumi-kubernetes' Args and output classes loaded when first used (typeloading.py says why and how).
    typeloading.install()
    from .cli import main

    main()


if __name__ == "__main__":
    run()
