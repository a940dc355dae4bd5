"""Tests of the hologram CLI and the reference scripts, through real processes."""
