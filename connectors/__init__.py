"""The adapters: each platform's side of the ports in ``bot/core/ports.py`` (local, m365,
google), with what they share in ``base.py``. They import only the core; only ``bot/wiring.py``
imports them, to build a deployment's ``Connectors``."""
