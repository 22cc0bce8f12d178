"""Use cases per area; every function takes a keyword-only `session`."""
