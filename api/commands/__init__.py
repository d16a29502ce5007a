"""The subcommands of ``pingzhan``: one module each, with ``register`` and ``run``."""
