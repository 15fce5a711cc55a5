"""integrations (being built)."""
