"""Tests that every documented 2017 path, name and signature works."""
