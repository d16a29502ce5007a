"""Standard messages out: an incident's needs and dispatches as EDXL-RM 1.0, the board as GeoJSON, and a
printable resource request (ICS-213RR style)."""
