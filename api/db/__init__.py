"""Persistence: the event log, plan versions, channel messages, tokens and idempotency records."""
