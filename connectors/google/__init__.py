"""Google Workspace connector (Admin SDK, Gmail, Chat webhook, Sheets, Forms): see deploy/google.md.

Nothing is imported here, so ``import connectors.google`` never loads google-api-python-client.
"""
