"""Test support: the fictional school builder, fakes of Graph and Google."""
