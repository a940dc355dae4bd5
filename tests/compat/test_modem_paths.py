"""The reference's modem import paths, names, defaults and signatures."""
# ruff: noqa: N811, N813

import inspect

import pytest


def test_module_paths():
    from Hologram.Network.Modem import E303, IOTA, MS2131, Modem
    from Hologram.Network.Modem.E303 import E303 as E303b
    from Hologram.Network.Modem.IOTA import IOTA as IOTAb
    from Hologram.Network.Modem.Modem import Modem as Modemb
    from Hologram.Network.Modem.MS2131 import MS2131 as MS2131b

    assert (E303, IOTA, MS2131, Modem) == (E303b, IOTAb, MS2131b, Modemb)
    assert issubclass(E303, Modem) and issubclass(MS2131, Modem) and issubclass(IOTA, Modem)

    import hologram_sdk

    # The face classes are the SDK's drivers with hologram-python 0.10's modem
    # methods in front (hologram_sdk.compat.modems): one implementation underneath.
    assert issubclass(E303, hologram_sdk.E303) and issubclass(Modem, hologram_sdk.Modem)
    assert issubclass(IOTA, hologram_sdk.IOTA) and issubclass(MS2131, hologram_sdk.MS2131)


def test_device_name_constants():
    from Hologram.Network.Modem.E303 import E303_DEVICE_NAME
    from Hologram.Network.Modem.IOTA import IOTA_DEVICE_NAME
    from Hologram.Network.Modem.MS2131 import MS2131_DEVICE_NAME

    assert (E303_DEVICE_NAME, MS2131_DEVICE_NAME, IOTA_DEVICE_NAME) == (
        "/dev/ttyUSB0",
        "/dev/ttyUSB0",
        "/dev/ttyACM0",
    )


@pytest.mark.parametrize(
    ("name", "device"),
    [("E303", "/dev/ttyUSB0"), ("MS2131", "/dev/ttyUSB0"), ("IOTA", "/dev/ttyACM0")],
)
def test_constructor_signature_and_defaults(name, device):
    import Hologram.Network.Modem as modems

    cls = getattr(modems, name)
    params = inspect.signature(cls).parameters
    assert list(params)[:4] == ["mode", "deviceName", "baudRate", "chatScriptFile"]
    assert params["mode"].default == "ppp"
    assert params["deviceName"].default == device
    assert params["baudRate"].default == "9600"
    modem = cls()  # positional and keyword forms as the reference shows them
    assert (modem.mode, modem.deviceName, modem.baudRate) == ("ppp", device, "9600")
    assert modem.localIPAddress is None and modem.remoteIPAddress is None
    modem2 = cls("ppp", device, "9600", "../../example-script")
    assert modem2.chatScriptFile == "../../example-script"
    for method in ("connect", "disconnect"):
        assert callable(getattr(modem, method))
    assert inspect.signature(cls.connect).parameters["timeout"].default == 200
    modem.close()
    modem2.close()
