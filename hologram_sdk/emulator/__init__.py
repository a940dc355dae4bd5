"""Stand-ins for hardware and the internet: a modem emulator and a local cloud.

Both are real backends, not test helpers: ``ModemEmulator`` serves AT on a real
pseudo-terminal (or in process), ``LocalCloud`` speaks the cloud protocol on
loopback and stores what it accepts in SQLite. Import them from their modules
(``hologram_sdk.emulator.modem``, the package ``hologram_sdk.emulator.cloud``); nothing is
imported here so that using one does not load the other.
"""
