"""Customer-relations HQ dashboard: everything that is not a page."""
