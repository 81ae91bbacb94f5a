"""First-run setup and the school settings pages (web): each change saved, audited, applied."""
