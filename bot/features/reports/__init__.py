"""Breach and concern reports: intake, routing, clocks (LADO, ICO, triage), actions, export, mirror
and external forms.
"""
