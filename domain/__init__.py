"""Aduan's rules, pure and without I/O: events, the case, routing, the jurisdiction's shape."""
