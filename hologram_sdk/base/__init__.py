"""The bottom layer: errors, events, credentials and config, backoff, paths, digits."""
