"""Load the coordinator before any governance module: ``engine.governance.events`` (and the ledger, decide,
timers and views that import it) cannot be the first engine module imported, because it imports
``engine.model.event_base``, whose package imports ``engine.coordinator.events``, which imports
``engine.governance.events`` back while it is half loaded (see test_imports.py)."""

import engine.coordinator  # noqa: F401
