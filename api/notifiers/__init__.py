"""Notifications to people who do not have the console open: the operator's notifiers (config.py), what goes
out (rules.py), the outbox written with the events (outbox.py), and sending it (sending.py, send.py)."""
