"""The fictional demo school and its sample policies."""
