"""oncall (being built)."""
