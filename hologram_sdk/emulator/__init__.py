"""Stand-ins for hardware and the internet: a modem emulator and a local cloud.

Both are real backends, not test helpers: ``ModemEmulator`` serves AT on a real
pseudo-terminal (or in process), ``LocalCloud`` speaks the cloud protocol on
loopback and stores what it accepts in SQLite. Import them from their modules
(``hologram_sdk.emulator.modem``, the package ``hologram_sdk.emulator.cloud``); nothing is
imported here so that using one does not load the other (only the ``sim://`` port
scheme is registered, see :func:`open_sim_url`).
"""

from hologram_sdk.modem.ports import WRITE_TIMEOUT, SerialLike, register_scheme


def open_sim_url(url: str, baudrate: int, timeout: float) -> SerialLike:
    """Open ``sim://<profile>?<options>``: the emulator in process (the ``sim`` port scheme).

    The library never imports the emulator: this opener reaches
    :func:`hologram_sdk.modem.ports.open_port` through the ``sim`` entry point in
    ``hologram_sdk.port_schemes`` (pyproject.toml), and through
    :func:`~hologram_sdk.modem.ports.register_scheme` once this package is imported.
    ``baudrate`` means nothing to an emulated port.
    """
    from hologram_sdk.emulator.modem import open_sim_port

    return open_sim_port(url, timeout=timeout, write_timeout=WRITE_TIMEOUT)


register_scheme("sim", open_sim_url)
