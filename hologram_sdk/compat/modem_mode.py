"""0.10's ``ModemMode`` classes: ``ModemMode``, ``IPPP``, ``PPP`` and ``MockPPP``.

``PPP`` runs the SDK's pppd runner (:class:`hologram_sdk.network.pppd.PPPRunner`
with :class:`~hologram_sdk.network.ppp.PPPOptions`): the same pppd command line,
output parsing and typed exit errors as ``Cellular``. 0.10's check for other
pppd processes (through psutil) is not repeated: the runner only ever signals
the pppd it started.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from hologram_sdk.base.errors import ConfigurationError, NetworkError
from hologram_sdk.base.events import Event
from hologram_sdk.network.ppp import DEFAULT_CHAT_PATH, PPPOptions
from hologram_sdk.network.pppd import PPPLink, PPPRunner

#: seconds ``PPP.connect`` waits for the link by default
DEFAULT_PPP_TIMEOUT = 200
DEFAULT_PPP_INTERFACE = "ppp0"


class ModemMode:
    """A way of using the modem: its device and baud rate, kept as given."""

    def __init__(
        self,
        device_name: str = "/dev/ttyUSB0",
        baud_rate: Any = "9600",
        event: Optional[Event] = None,
    ) -> None:
        self.logger = logging.getLogger(__name__)
        self.event = event if event is not None else Event()
        self.device_name = device_name
        self.baud_rate = baud_rate

    def __repr__(self) -> str:
        return type(self).__name__


class IPPP(ModemMode):
    """A PPP mode: needs a chat script.

    :raises ConfigurationError: no chat script was given
    """

    def __init__(
        self,
        device_name: str = "/dev/ttyUSB0",
        baud_rate: Any = "9600",
        chatscript_file: Optional[str] = None,
    ) -> None:
        super().__init__(device_name=device_name, baud_rate=baud_rate)
        if chatscript_file is None:
            raise ConfigurationError("Must specify chatscript file")
        self.chatscript_file = chatscript_file

    @property
    def connect_script(self) -> str:
        """The connect command as 0.10 showed it (``chat -v -f <script>``)."""
        return f"{DEFAULT_CHAT_PATH} -v -f {self.chatscript_file}"


class MockPPP(IPPP):
    """A test double: a PPP mode that never runs pppd (no addresses, never connected)."""

    @property
    def localIPAddress(self) -> Optional[str]:
        return None

    @property
    def remoteIPAddress(self) -> Optional[str]:
        return None

    def isConnected(self) -> bool:
        return False

    def connect(self, timeout: float = DEFAULT_PPP_TIMEOUT) -> bool:
        return False

    def disconnect(self) -> bool:
        return True


RunnerFactory = Callable[[PPPOptions], PPPRunner]


class PPP(IPPP):
    """pppd on ``device_name`` with ``chatscript_file`` (through the SDK's runner).

    :param runner_factory: builds the runner from the options (a test passes
        one with a pppd stand-in)
    """

    def __init__(
        self,
        device_name: str = "/dev/ttyUSB0",
        all_attached_device_names: Optional[list[str]] = None,
        baud_rate: Any = "9600",
        chatscript_file: Optional[str] = None,
        *,
        apn: Optional[str] = "hologram",
        runner_factory: Optional[RunnerFactory] = None,
    ) -> None:
        super().__init__(device_name=device_name, baud_rate=baud_rate,
                         chatscript_file=chatscript_file)
        self.all_attached_device_names = list(all_attached_device_names or [])
        self.apn = apn
        self._runner_factory = runner_factory or PPPRunner
        self._runner: Optional[PPPRunner] = None
        self._link: Optional[PPPLink] = None

    def _options(self) -> PPPOptions:
        return PPPOptions(device=self.device_name, chat_script=self.chatscript_file,
                          baud_rate=self.baud_rate, apn=self.apn)

    def isConnected(self) -> bool:
        return self._runner is not None and self._runner.running and self._link is not None

    def connect(self, timeout: float = DEFAULT_PPP_TIMEOUT) -> bool:
        """Start pppd and wait for the link.

        :returns: True when it came up, False when pppd failed or timed out
        :raises PermissionDeniedError: not root
        """
        self.disconnect()
        runner = self._runner_factory(self._options())
        self._runner = runner
        runner.start()
        try:
            self._link = runner.wait_up(timeout)
        except NetworkError as exc:
            self.logger.error("PPP did not come up: %s", exc)
            runner.close()
            self._runner = None
            return False
        return True

    def disconnect(self) -> bool:
        """Stop the pppd this object started (idempotent)."""
        runner, self._runner, self._link = self._runner, None, None
        if runner is not None:
            runner.close()
        return True

    close = disconnect

    @property
    def localIPAddress(self) -> Optional[str]:
        return self._link.local_ip if self._link is not None else None

    @property
    def remoteIPAddress(self) -> Optional[str]:
        return self._link.remote_ip if self._link is not None else None
