"""The reference's network import paths, names, defaults and signatures."""
# ruff: noqa: N813

import inspect

import pytest


def test_module_paths():
    from Hologram.Network import Cellular, NetworkManager
    from Hologram.Network.Cellular import Cellular as Cellularb
    from Hologram.Network.NetworkManager import NetworkManager as NetworkManagerb

    assert (Cellular, NetworkManager) == (Cellularb, NetworkManagerb)
    import Hologram.Network as network

    assert network.Cellular is Cellular and network.NetworkManager is NetworkManager

    import hologram_sdk

    assert hologram_sdk.Cellular is Cellular and hologram_sdk.NetworkManager is NetworkManager


def test_status_codes():
    from Hologram.Network.Cellular import (
        CLOUD_CONNECTED,
        CLOUD_DISCONNECTED,
        CLOUD_ERR_CONNECT,
        CLOUD_ERR_SIGNAL,
        CLOUD_ERR_SIM,
    )

    assert (CLOUD_DISCONNECTED, CLOUD_CONNECTED, CLOUD_ERR_SIM, CLOUD_ERR_SIGNAL,
            CLOUD_ERR_CONNECT) == (0, 1, 3, 5, 12)


@pytest.mark.parametrize("method", ["connect", "disconnect", "reconnect",
                                    "listAvailableInterfaces"])
def test_network_manager_methods(method):
    from Hologram.Network import NetworkManager

    assert callable(getattr(NetworkManager, method))
    if method == "connect":
        assert inspect.signature(NetworkManager.connect).parameters["timeout"].default == 200


def test_interfaces_listed_as_documented():
    from Hologram.Network import NetworkManager
    from hologram_sdk.base.events import Event

    manager = NetworkManager(Event(), "")
    assert manager.listAvailableInterfaces() == sorted(
        ["", "cellular-e303", "cellular-iota", "cellular-ms2131"]
    )


@pytest.mark.parametrize("method", ["connect", "disconnect", "getConnectionStatus"])
def test_cellular_methods_and_properties(method):
    from Hologram.Network import Cellular

    assert callable(getattr(Cellular, method))
    if method == "connect":
        assert inspect.signature(Cellular.connect).parameters["timeout"].default == 200
    for prop in ("localIPAddress", "remoteIPAddress"):
        assert isinstance(inspect.getattr_static(Cellular, prop), property)


def test_cellular_on_a_modem_touches_nothing():
    from Hologram.Network import Cellular
    from Hologram.Network.Modem import E303

    modem = E303(deviceName="/dev/hologram-nonexistent")
    cellular = Cellular(modem)
    assert cellular.modem is modem
    assert cellular.getConnectionStatus() == 0
    assert cellular.localIPAddress is None and cellular.remoteIPAddress is None
    cellular.close()
    modem.close()
