"""The embedded default connector: a CSV/YAML directory, SMTP or .eml files, file/webhook cards."""
