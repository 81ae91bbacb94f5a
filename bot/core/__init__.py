"""What every feature stands on: settings, school config, store, models, migrations, audit, clock,
links, outbox, messages, uploads, permissions.
"""
