"""The 0.10 modem classes (and the 2017 ones) as faces over the SDK's drivers.

Each class here is ``Modem010`` methods in front of the SDK driver of the same
hardware (:mod:`hologram_sdk.modem`): ``Hologram.Network.Modem.E303`` is an
``hologram_sdk.modem.e303.E303`` too, and ``Nova_U201`` a ``Nova_U201`` of the
driver registry. Drivers not yet in the registry fall back to the nearest one
(``_driver`` below is the one seam that picks them).

Constructors take both generations' keywords: ``deviceName``, ``baudRate``,
``chatScriptFile`` (2017) and ``device_name``, ``baud_rate``,
``chatscript_file``, ``event``, ``apn``, ``pdp_context`` (0.10). A first
positional argument that is a device path (``Nova('/dev/ttyACM1')``) is read in
0.10's order (device, baud rate, chat script). Nothing touches the port before
the first command; with no device given, the first command looks for the modem
on USB (0.10's ``detect_usable_serial_port``) and else uses the class's default
device.
"""

from __future__ import annotations

import importlib
import time
from typing import Any, Optional

from hologram_sdk.base.errors import HologramError, ModemTimeoutError, UnsupportedOperationError
from hologram_sdk.compat.modem import MODEM_ERROR, MODEM_NO_MATCH, MODEM_OK, MODEM_TIMEOUT, _after
from hologram_sdk.compat.modem_sockets import QSocket010, USocket010
from hologram_sdk.compat.utilclasses import Location, ModemResult
from hologram_sdk.modem.e303 import E303 as _E303
from hologram_sdk.modem.iota import IOTA as _IOTA
from hologram_sdk.modem.modem import Modem as _Modem
from hologram_sdk.modem.ms2131 import MS2131 as _MS2131

__all__ = [
    "BG96", "E303", "E372", "EC21", "EC25", "IOTA", "MODEM_ERROR", "MODEM_NO_MATCH",
    "MODEM_OK", "MODEM_TIMEOUT", "MS2131", "MockModem", "Modem", "Nova", "NovaM",
    "Nova_U201", "Quectel",
]


def _driver(module: str, name: str, fallback: type) -> Any:
    """The SDK driver class ``module.name``, or ``fallback`` while it is not there."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return fallback


def _looks_like_device(value: object) -> bool:
    return isinstance(value, str) and ("/" in value or "://" in value or value.startswith("COM"))


class Modem(USocket010, _Modem):  # type: ignore[misc]
    """0.10's ``Modem`` (u-blox socket calls on the base, as there) over the SDK's ``Modem``."""

    def __init__(
        self,
        mode: str = "ppp",
        deviceName: Optional[str] = None,
        baudRate: Any = "9600",
        chatScriptFile: Optional[str] = None,
        *,
        device_name: Optional[str] = None,
        baud_rate: Any = None,
        chatscript_file: Optional[str] = None,
        apn: str = "hologram",
        pdp_context: int = 1,
        **options: Any,
    ) -> None:
        if mode not in ("ppp", "serial") and _looks_like_device(mode):
            # 0.10's positional order: (device_name, baud_rate, chatscript_file)
            device_name, mode = device_name or mode, "ppp"
            if deviceName is not None and str(deviceName).isdigit():
                baud_rate, deviceName = baud_rate or deviceName, None
            if chatScriptFile is None and isinstance(baudRate, str) and not baudRate.isdigit():
                chatScriptFile, baudRate = baudRate, "9600"
        device = device_name or deviceName
        self._device_given = device is not None
        super().__init__(
            mode,
            device,
            baud_rate if baud_rate is not None else baudRate,
            chatscript_file or chatScriptFile,
            **options,
        )
        self._init_010(apn, pdp_context)


class E303(Modem, _E303):  # type: ignore[misc]
    """Huawei E303 (2017 and 0.10)."""

    registration_commands = ("+CREG", "+CGREG")
    usb_ids = (("12d1", "1001"),)


class MS2131(Modem, _MS2131):  # type: ignore[misc]
    """Huawei MS2131 (2017 and 0.10)."""

    registration_commands = ("+CREG", "+CGREG")
    usb_ids = (("12d1", "1506"),)


class E372(Modem, _driver("hologram_sdk.modem.e372", "E372", _E303)):  # type: ignore[misc]
    """Huawei E372 (0.10)."""

    registration_commands = ("+CREG", "+CGREG")
    usb_ids = (("12d1", "14c6"),)


class Nova(Modem, _driver("hologram_sdk.modem.nova", "Nova", _IOTA)):  # type: ignore[misc]
    """0.10's base of the Hologram Novas: their own sockets can be switched off."""

    def disable_at_sockets_mode(self) -> None:
        self._at_sockets_available = False

    def enable_at_sockets_mode(self) -> None:
        self._at_sockets_available = True

    @property
    def version(self) -> Optional[str]:
        return self._basic_command("I9")


class Nova_U201(Nova, _driver("hologram_sdk.modem.nova", "Nova_U201", _IOTA)):  # type: ignore[misc]
    """Hologram Nova Global 3G/2G (u-blox SARA-U201)."""

    at_sockets_default = True
    registration_commands = ("+CREG", "+CGREG")
    usb_ids = (("1546", "1102"), ("1546", "1104"))
    #: seconds ``get_sim_otp_response`` waits for the SIM's answer
    sim_otp_timeout = 10.0

    def _init_010(self, apn: str, pdp_context: int) -> None:
        super()._init_010(apn, pdp_context)
        self.last_sim_otp_command_response: Optional[str] = None
        self.last_location: Optional[Location] = None

    @property
    def description(self) -> str:
        return "Hologram Nova Global 3G/2G Cellular USB Modem (U201)"

    def create_socket(self) -> None:
        self._set_up_pdp_context()
        super().create_socket()

    def close_socket(self, socket_identifier: Optional[int] = None) -> None:
        super().close_socket(socket_identifier)
        self._tear_down_pdp_context()

    def parse_and_populate_last_sim_otp_response(self, response: str) -> None:
        self.last_sim_otp_command_response = response.split(",")[-1].strip('"')

    def get_sim_otp_response(self, command: str) -> str:
        """The SIM's answer to a SIM-OTP APDU (``+CSIM``).

        :raises ModemTimeoutError: no answer within :attr:`sim_otp_timeout`
        """
        self.last_sim_otp_command_response = None
        self.command(f'+CSIM=46,"008800801110{command}00"', hide=True)
        deadline = time.monotonic() + self.sim_otp_timeout
        while self.last_sim_otp_command_response is None:
            if time.monotonic() > deadline:
                raise ModemTimeoutError("AT+CSIM", [], self.sim_otp_timeout)
            self.checkURC(hide=True)
        return self.last_sim_otp_command_response

    def handleURC(self, urc: str) -> None:
        if urc.startswith("+CSIM: "):
            self.parse_and_populate_last_sim_otp_response(_after(urc, "+CSIM:"))
            return
        super().handleURC(urc)

    def populate_location_obj(self, response: str) -> Location:
        self.last_location = Location(*response.split(",")[:6])
        return self.last_location

    def _handle_location_urc(self, urc: str) -> None:
        self.populate_location_obj(_after(urc, "+UULOC:"))
        self.event.broadcast("location.received")

    @property
    def operator(self) -> Optional[str]:
        answer = self._basic_set("+UDOPN", "12")
        if answer is None:  # no +UDOPN: the driver's +COPS reading
            return super().operator
        return answer.strip('"')


class NovaM(Nova, _driver("hologram_sdk.modem.nova", "NovaM", _Modem)):  # type: ignore[misc]
    """Hologram Nova R404/R410 (u-blox SARA-R4, LTE-M)."""

    at_sockets_default = True
    registration_commands = ("+CEREG",)
    reset_value = "15"
    connect_timeout = 122
    usb_ids = (("05c6", "90b2"),)
    module = "option"
    syspath = "/sys/bus/usb-serial/drivers/option1/new_id"

    @property
    def is_r410(self) -> bool:
        try:
            model = self.modem_id
        except HologramError:  # no modem to ask: 0.10's default
            return True
        return "R404" not in str(model or "")

    @property
    def description(self) -> str:
        model = "(R410)" if self.is_r410 else "(R404)"
        return f"Hologram Nova US 4G LTE Cat-M1 Cellular USB Modem {model}"

    @property
    def location(self) -> Any:
        raise UnsupportedOperationError(
            "The R404 and R410 do not support Cell Locate at this time"
        )


class Quectel(QSocket010, Modem, _driver("hologram_sdk.modem.quectel", "Quectel", _Modem)):  # type: ignore[misc]
    """0.10's base of the Quectel modules (``+QI*`` sockets)."""


class BG96(Quectel, _driver("hologram_sdk.modem.quectel", "BG96", _Modem)):  # type: ignore[misc]
    """Quectel BG96."""

    usb_ids = (("2c7c", "0296"),)
    deactivate = ("+QIACT", "0")

    @property
    def description(self) -> str:
        return "Quectel BG96"


class EC21(Quectel, _driver("hologram_sdk.modem.quectel", "EC21", _Modem)):  # type: ignore[misc]
    """Quectel EC21."""

    usb_ids = (("2c7c", "0121"),)

    @property
    def description(self) -> str:
        return "Quectel EC21"


class EC25(Quectel, _driver("hologram_sdk.modem.quectel", "EC25", _Modem)):  # type: ignore[misc]
    """Quectel EC25."""

    usb_ids = (("2c7c", "0125"),)

    @property
    def description(self) -> str:
        return "Quectel EC25"


class IOTA(Nova_U201, _IOTA):  # type: ignore[misc]
    """The 2017 name of the u-blox SARA-U201 modem (the Nova U201's hardware)."""

    profile = _IOTA.profile

    @property
    def description(self) -> str:
        return str(_IOTA.profile.description)


def _sim_opener(url: str, baudrate: int, timeout: float) -> Any:
    from hologram_sdk.modem.ports import open_port

    return open_port("sim://e303", baudrate, timeout)


class MockModem(Modem):
    """A test double: whatever device it is given, it talks to the SDK's emulated
    E303 (``sim://e303``), so 0.10 code can run without hardware."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("opener", _sim_opener)
        if not args and "deviceName" not in kwargs and "device_name" not in kwargs:
            kwargs["device_name"] = "/dev/ttyUSB0"
        super().__init__(*args, **kwargs)

    def _get_attached_devices(self) -> str:
        return self.device_name


# ModemResult is re-exported for ``from Hologram.Network.Modem.Modem import ModemResult``
_ = ModemResult
