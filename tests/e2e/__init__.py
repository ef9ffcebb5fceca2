"""e2e package."""
