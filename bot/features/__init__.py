"""One room per feature, each with the same furniture: rules (pure), service (database and outbox),
step (sweep), web (router), cli (Typer sub-app), templates.
"""
