import gc

# The collector off before the CLI's modules load, as main() turns it off for the command itself:
# importing them makes many long-lived objects and young collections walk them for nothing.
gc.disable()

from .cli import main  # noqa: E402 (after the collector is off, on purpose)

main()
