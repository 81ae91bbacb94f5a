"""Fake platforms that speak the real wire formats, for connector tests."""
