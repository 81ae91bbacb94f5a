"""The web UI (FastAPI + Jinja2, server-rendered, works without JavaScript)."""
