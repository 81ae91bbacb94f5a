"""Training: completions imported or recorded, certificates."""
