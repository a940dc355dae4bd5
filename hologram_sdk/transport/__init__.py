"""TCP: the client transport, the one selector server loop, the inbound listener."""
