"""Tests of the AT channel, the modem classes, discovery and the modem CLI."""
