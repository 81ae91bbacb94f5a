"""Policies: register, import, governors' review alerts, acknowledgements and signatures."""
