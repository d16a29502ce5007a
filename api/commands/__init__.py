"""The subcommands of ``pingzhan``: one module each, with ``arguments`` and ``run`` (see ``api/cli.py``)."""
