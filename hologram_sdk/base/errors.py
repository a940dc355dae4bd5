"""The SDK's exception tree: every error the SDK raises derives from ``HologramError``.

Builtin bases are mixed in where they fit, so ``except TimeoutError`` or
``except ValueError`` in application code keeps working::

    HologramError
    ├── ConfigurationError (ValueError)        bad argument, port, credentials, file
    │   ├── CredentialsError                   missing or malformed credentials
    │   │   └── AuthenticationError            TOTP/SIM-OTP: no ICCID/IMSI from the SIM
    │   ├── InvalidPhoneNumberError            not E.164 with '+' and 7-15 digits
    │   ├── MessageTooLongError                SMS longer than its limit
    │   └── UnknownInterfaceError              network/modem name not in the registry
    ├── ClockNotSetError                       the clock reads before 2020: no OTP
    ├── DriverNotAvailableError (NotImplementedError)
    ├── UnsupportedOperationError (NotImplementedError)  not offered by this class
    ├── ApiError                               the REST API refused or failed
    ├── CloudError                             talking to the cloud failed
    │   ├── CloudConnectionError (ConnectionError)   refused, reset, unreachable
    │   ├── CloudTimeoutError (TimeoutError)         no connect / no reply in time
    │   └── InboundBindError (OSError)               the inbound port cannot be bound
    ├── OutboxError                            the durable outbox cannot store or read
    │   ├── OutboxFullError                    bounds reached with policy 'reject'
    │   ├── OutboxDiskFullError                no room left on the disk (or the file's cap)
    │   └── OutboxCorruptError                 the file is damaged or not an outbox
    ├── SerialError (OSError)                  a serial port cannot be used
    │   ├── PortBusyError                      another process holds the port
    │   └── ModemUnpluggedError                read/write error, EOF, device gone
    ├── ModemError                             the modem answered, but not as hoped
    │   ├── ATCommandError                     ERROR / +CME ERROR / +CMS ERROR
    │   │   ├── SIMNotInsertedError            CME 10
    │   │   ├── SIMPinRequiredError            CME 11
    │   │   ├── SIMPukRequiredError            CME 12
    │   │   ├── SIMFailureError                CME 13
    │   │   ├── SIMBusyError                   CME 14 (retried before raising)
    │   │   └── NoNetworkServiceError          CME 30
    │   ├── ModemTimeoutError (TimeoutError)   no final result code in time
    │   └── SIMAuthenticationError             +CSIM AUTHENTICATE refused (status word)
    └── NetworkError (ConnectionError)         bringing the link up or keeping it
        ├── ModemNotFoundError                 no supported modem answered on USB
        ├── PermissionDeniedError (PermissionError)  pppd needs root
        └── PPPError                           pppd could not start or run
            └── PPPConnectionError             pppd exited with a known code

Lower-layer exceptions (``OSError``, ``serial.SerialException``,
``subprocess`` errors) are translated once, at the transport boundary, with
``raise ... from exc``. Cloud refusals (result codes) are return values, as in
the reference API, not exceptions.
"""

from __future__ import annotations

from typing import Optional


class HologramError(Exception):
    """Root of every error the SDK raises."""


# --- configuration ---------------------------------------------------------


class ConfigurationError(HologramError, ValueError):
    """An argument, port number, credential or configuration file is invalid."""


class CredentialsError(ConfigurationError):
    """Credentials are missing or malformed."""


class InvalidPhoneNumberError(ConfigurationError):
    """A destination number is not E.164 (a '+' then 7 to 15 digits)."""


class MessageTooLongError(ConfigurationError):
    """A message is longer than the protocol allows."""


class UnknownInterfaceError(ConfigurationError):
    """A network interface or modem name is not one the SDK knows."""


class AuthenticationError(CredentialsError):
    """TOTP or SIM-OTP cannot get its credentials: the SIM's ICCID and IMSI (0.10's name).

    A :class:`CredentialsError`: ``HologramCloud({})`` means TOTP (0.10), and
    without a modem it lacks credentials as much as with no key at all.
    """


class ClockNotSetError(HologramError):
    """The time source reads before 2020 (no RTC, no NTP yet): an OTP would be refused."""


class DriverNotAvailableError(HologramError, NotImplementedError):
    """A driver exists in the registry but cannot be used on this machine."""


class UnsupportedOperationError(HologramError, NotImplementedError):
    """The object does not offer this operation (e.g. SMS through a custom cloud)."""


class ApiError(HologramError):
    """The Hologram REST API refused a request or could not be reached."""


# --- cloud -----------------------------------------------------------------


class CloudError(HologramError):
    """Talking to the cloud (or a custom server) failed."""


class CloudConnectionError(CloudError, ConnectionError):
    """The connection was refused, reset, or the host is unreachable."""


class CloudTimeoutError(CloudError, TimeoutError):
    """The connection or the reply did not come within the timeout."""


class InboundBindError(CloudError, OSError):
    """The inbound listener could not bind its host and port."""


# --- outbox ----------------------------------------------------------------


class OutboxError(HologramError):
    """The durable outbox could not store or read a message (disk full, unwritable)."""


class OutboxFullError(OutboxError):
    """The outbox is at its bounds and its policy is 'reject'."""


class OutboxDiskFullError(OutboxError):
    """The disk (or the database's ``max_file_bytes``) has no room for the write."""


class OutboxCorruptError(OutboxError):
    """The outbox file is damaged, or is not an outbox database at all."""


# --- serial and modem ------------------------------------------------------


class SerialError(HologramError, OSError):
    """A serial port could not be opened, read or written."""


class PortBusyError(SerialError):
    """Another process (often ModemManager) holds the serial port."""


class ModemUnpluggedError(SerialError):
    """The modem stopped answering at the OS level: read error, EOF, device gone."""


class ModemError(HologramError):
    """The modem answered, but not with what was asked for."""


class ATCommandError(ModemError):
    """A command ended in ERROR, +CME ERROR or +CMS ERROR.

    :param command: the command line that was sent (without CR)
    :param result: the final result line, e.g. ``+CME ERROR: 10``
    :param cme_code: the numeric CME/CMS code when the modem gave one
    :param text: the verbose text when the modem gave one
    """

    def __init__(
        self,
        command: str,
        result: str,
        cme_code: Optional[int] = None,
        text: Optional[str] = None,
    ) -> None:
        self.command = command
        self.result = result
        self.cme_code = cme_code
        self.code = cme_code
        self.text = text
        super().__init__(f"{command!r} failed: {result}")


class SIMNotInsertedError(ATCommandError):
    """CME 10: no SIM card in the modem."""


class SIMPinRequiredError(ATCommandError):
    """CME 11: the SIM is locked and needs its PIN."""


class SIMPukRequiredError(ATCommandError):
    """CME 12: the SIM is blocked and needs its PUK."""


class SIMFailureError(ATCommandError):
    """CME 13: the SIM is damaged or not answering."""


class SIMBusyError(ATCommandError):
    """CME 14: the SIM is busy (still booting); raised only after retries."""


class NoNetworkServiceError(ATCommandError):
    """CME 30: no network service."""


class ModemTimeoutError(ModemError, TimeoutError):
    """No final result code arrived in time.

    :param command: the command line that was sent
    :param partial: the lines received before the timeout
    """

    def __init__(self, command: str, partial: list[str], timeout: float) -> None:
        self.command = command
        self.partial = list(partial)
        self.timeout = timeout
        super().__init__(f"no answer to {command!r} within {timeout:g} s (got {self.partial!r})")


class SIMAuthenticationError(ModemError):
    """The SIM refused AUTHENTICATE over ``AT+CSIM``; ``status_word`` says why (``6982``...).

    :param status_word: the four hex digits SW1 SW2
    """

    def __init__(self, status_word: str, meaning: str = "") -> None:
        self.status_word = status_word
        detail = f" ({meaning})" if meaning else ""
        super().__init__(f"the SIM refused AUTHENTICATE: status word {status_word}{detail}")


# --- network ---------------------------------------------------------------


class NetworkError(HologramError, ConnectionError):
    """The network link could not be brought up or was lost."""


class ModemNotFoundError(NetworkError):
    """No supported modem answered on USB (``network='cellular'``); the message says
    "Modem not detected" (0.10's words) and names the ids looked for."""


class PermissionDeniedError(NetworkError, PermissionError):
    """The operation needs root (pppd does)."""


class PPPError(NetworkError):
    """pppd could not be started or run."""


class PPPConnectionError(PPPError):
    """pppd exited with a non-zero code.

    :param code: pppd's exit status
    :param message: what went wrong (default: the exit status in words)
    :param output: what pppd (and the connect script) printed

    hologram-python 0.10 built it as ``PPPConnectionError(code, output)``; a
    second argument that is pppd's multi-line output is read that way.
    """

    def __init__(self, code: int, message: Optional[str] = None, output: str = "") -> None:
        if message is not None and not output and "\n" in message:
            output, message = message, None  # 0.10's (code, output)
        self.code = code
        self.output = output
        self.message: str = message or f"pppd exited with status {code}"
        super().__init__(self.message)
