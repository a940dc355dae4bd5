"""Pure wire formats: the cloud protocol and the authentication codecs (no I/O)."""
