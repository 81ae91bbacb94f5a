"""Tests of the web shell: sign-in, sessions, errors and logs."""
