"""First-run setup: ``compliance-bot init`` (a school from its policy folder and staff list)."""
