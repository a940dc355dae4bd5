"""Helpers shared by the tests: one definition each, imported from here."""
