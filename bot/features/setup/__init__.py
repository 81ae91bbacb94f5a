"""First-run setup: ``compliance-bot init`` and the web setup and settings pages (each change
saved, audited and applied at once)."""
