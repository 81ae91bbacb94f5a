"""What every feature stands on: settings, school config, store, models, migrations, audit, clock,
links, outbox, messages, uploads, permissions, and the ports (``ports.py``: the protocols and
types every platform connector implements; the adapters in ``connectors/`` import them, never
the reverse).
"""
