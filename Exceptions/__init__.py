"""hologram-python 0.10's ``Exceptions`` package: ``Exceptions.HologramError`` holds the names."""
