"""Helpers shared by the CLI subcommands and the reference scripts: flags, errors, signals."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Optional

from hologram_sdk.base.config import MISSING_CREDENTIALS, config_path, resolve_credentials
from hologram_sdk.base.errors import (
    AuthenticationError,
    CloudConnectionError,
    CloudTimeoutError,
    ConfigurationError,
    HologramError,
)
from hologram_sdk.wire.protocol import ResultCode

#: Exit statuses: 0 success, 1 the operation failed, 2 bad usage or configuration.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: What a refusal means and what to do about it, for the one-line error.
ANSWERS = {
    ResultCode.ERR_MSGINVALID: "message malformed",
    ResultCode.ERR_AUTHINVALID: "credentials invalid; check cloud_id/cloud_key or devicekey",
    ResultCode.ERR_PAYLOADINVALID: "payload invalid (too long, or not text)",
    ResultCode.ERR_PROTINVALID: "protocol invalid; is HOST:PORT a Hologram cloud?",
    ResultCode.ERR_INTERNAL: "internal error in the cloud; try again later",
    ResultCode.ERR_METADATA: "metadata invalid",
    ResultCode.ERR_TOPICINVALID: "topic invalid; topics must be non-empty strings",
    ResultCode.ERR_UNKNOWN: "no reply it could parse; is HOST:PORT a Hologram cloud?",
}


class CLIError(Exception):
    """A failure to report as one line, with the exit status to use."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


def add_verbose(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """``--verbose``: the SDK's INFO lines on stderr (``INFO:<class>:<message>``).

    On a subcommand the flag only overrides ``hologram --verbose`` when given.
    """
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if subcommand else False,
        help="show the SDK's log lines (credentials are never shown)",
    )


def add_credentials(parser: argparse.ArgumentParser) -> None:
    """``--cloud_id``, ``--cloud_key``, ``--devicekey`` and ``-f/--file``."""
    parser.add_argument(
        "--cloud_id", nargs="?", help="Hologram cloud id (4 characters); env HOLOGRAM_CLOUD_ID"
    )
    parser.add_argument(
        "--cloud_key",
        nargs="?",
        help="Hologram cloud key (4 characters); env HOLOGRAM_CLOUD_KEY. A key on the "
        "command line is visible to every user (ps): prefer the environment or -f",
    )
    parser.add_argument(
        "--devicekey",
        nargs="?",
        help="Hologram device key (8 characters); env HOLOGRAM_DEVICEKEY. A key on the "
        "command line is visible to every user (ps): prefer the environment or -f",
    )
    parser.add_argument(
        "-f",
        "--file",
        nargs="?",
        const="",
        help="HJSON file with cloud_id and cloud_key (or devicekey)",
    )


def credentials_from(args: argparse.Namespace) -> Optional[dict[str, str]]:
    """Credentials by flags > environment > file (see :func:`resolve_credentials`).

    :raises CLIError: the file or the values are unusable
    """
    flags = {k: getattr(args, k, None) for k in ("cloud_id", "cloud_key", "devicekey")}
    if getattr(args, "file", None) == "":
        raise CLIError(
            "-f/--file needs a FILE: HJSON with cloud_id and cloud_key, or devicekey",
            EXIT_USAGE,
        )
    given = [f"--{k}" for k in ("cloud_key", "devicekey") if flags[k]]
    if given:
        prog = getattr(args, "prog", "hologram")
        print(
            f"{prog}: warning: {' and '.join(given)} on the command line is visible to every "
            "user of this machine (ps); use HOLOGRAM_CLOUD_KEY/HOLOGRAM_DEVICEKEY or -f FILE",
            file=sys.stderr,
        )
    try:
        return resolve_credentials(
            flags, os.environ, getattr(args, "file", None), config_path(os.environ)
        )
    except ConfigurationError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None


def require_credentials(args: argparse.Namespace) -> dict[str, str]:
    """Like :func:`credentials_from`, but having none is an error."""
    credentials = credentials_from(args)
    if credentials is None:
        raise CLIError(MISSING_CREDENTIALS, EXIT_USAGE)
    return credentials


#: the longest wait a command takes (31 days): more overflows socket and thread timeouts
MAX_SECONDS = 31 * 24 * 3600.0


def add_json(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json``: one JSON object on stdout (streams print one object a line)."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as one JSON object")


def timeout_value(text: str) -> float:
    """argparse type: seconds as a float, finite and at most :data:`MAX_SECONDS`
    (negative values keep their meaning where a command gives one, e.g. -1 = forever)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if math.isnan(value) or math.isinf(value) or value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"not a usable number of seconds: {text!r} (a finite number up to {MAX_SECONDS:.0f})"
        )
    return value


def positive_timeout(text: str) -> float:
    """argparse type: seconds, more than zero."""
    value = timeout_value(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"the timeout must be more than 0 seconds: {text!r}")
    return value


def port_value(text: str) -> int:
    """argparse type: a TCP port 0-65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (0-65535): {text!r}")
    return port


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__
    if isinstance(cause, OSError) and cause.strerror:
        text = cause.strerror
    elif isinstance(cause, OSError) and str(cause):
        text = str(cause)
    else:
        text = str(exc)
    return text[:1].lower() + text[1:]


def explain(exc: BaseException, host: str = "", port: int = 0, timeout: float = 0) -> CLIError:
    """Turn an SDK exception into a one-line :class:`CLIError`."""
    where = f"{host}:{port}"
    if isinstance(exc, CloudTimeoutError):
        return CLIError(
            f"no answer from {where} within {timeout:g} s: check --host/--port "
            "or give a longer --timeout"
        )
    if isinstance(exc, CloudConnectionError):
        return CLIError(
            f"cannot reach {where}: {_reason(exc)}; check --host/--port and that the "
            "server is running"
        )
    if isinstance(exc, AuthenticationError) and exc.__cause__ is not None:
        return CLIError(f"{exc} ({exc.__cause__})")  # e.g. the modem's port is missing
    if isinstance(exc, ConfigurationError):
        return CLIError(str(exc), EXIT_USAGE)
    if isinstance(exc, HologramError):
        return CLIError(str(exc))
    if isinstance(exc, OSError):
        return CLIError(f"{where}: {_reason(exc) if exc.__cause__ else exc}")
    return CLIError(str(exc))


def refusal(code: int, host: str, port: int) -> CLIError:
    """The one-line error for a cloud that answered with an error code."""
    result = ResultCode(code) if code in ResultCode._value2member_map_ else ResultCode.ERR_UNKNOWN
    text = ANSWERS.get(result, result.description).replace("HOST:PORT", f"{host}:{port}")
    return CLIError(f"the cloud answered {int(code)}: {text}")


if TYPE_CHECKING:
    from hologram_sdk.cloud.hologram import HologramCloud


def add_authtype(parser: argparse.ArgumentParser) -> None:
    """``--authtype`` and the modem holding the SIM that TOTP and SIM-OTP need."""
    parser.add_argument(
        "--authtype",
        choices=("csrpsk", "totp", "sim-otp"),
        default=None,
        help="how to authenticate: csrpsk (the credentials; the default with them), "
        "totp (the SIM's ICCID/IMSI) or sim-otp (the SIM computes each token); the "
        "last two read the SIM through --modem-port",
    )
    parser.add_argument(
        "--modem-port",
        help="the modem with the SIM for totp/sim-otp: device path or URL "
        "(default: the one found on USB)",
    )
    parser.add_argument(
        "--modem-profile", help="its profile: e303, ms2131 or iota (default: from the port)"
    )


def _auth_modem(args: argparse.Namespace) -> Any:
    """The modem for ``--authtype totp|sim-otp`` (None for csrpsk)."""
    if getattr(args, "authtype", None) not in ("totp", "sim-otp"):
        return None
    from hologram_sdk.cli.modem import _open_modem

    where = argparse.Namespace(
        port=getattr(args, "modem_port", None),
        profile=getattr(args, "modem_profile", None),
        baud="9600",
        timeout=5.0,
    )
    return _open_modem(where)


def hologram_request(
    args: argparse.Namespace,
    credentials: Optional[dict[str, str]],
    request: Callable[[HologramCloud], ResultCode],
) -> int:
    """Make one request to the Hologram cloud (or ``--host/--port``) and report it.

    A one-shot command reports a failure: it does not leave the message queued,
    so the cloud has no outbox here. ``--authtype totp|sim-otp`` reads the SIM
    through the modem (``--modem-port``).

    :raises CLIError: the cloud could not be reached, or it refused the request
    """
    from hologram_sdk.cloud.hologram import DEFAULT_SEND_HOST, DEFAULT_SEND_PORT, HologramCloud
    from hologram_sdk.wire.protocol import result_was_success

    host = args.host or DEFAULT_SEND_HOST
    port = args.port or DEFAULT_SEND_PORT
    cloud = None
    modem = None
    try:
        modem = _auth_modem(args)
        cloud = HologramCloud(
            credentials if credentials is not None else {},
            enable_inbound=False,
            authentication_type=getattr(args, "authtype", None),
            modem=modem,
            send_host=host,
            send_port=port,
            outbox=False,
        )
        code = request(cloud)
    except (HologramError, OSError) as exc:
        raise explain(exc, host, port, args.timeout) from None
    finally:
        if cloud is not None:
            cloud.close()
        if modem is not None:
            modem.close()
    if getattr(args, "json", False):
        print(json.dumps({"ok": bool(result_was_success(code)), "code": int(code),
                          "result": code.name, "description": code.description}))
    else:
        print(f"RESPONSE FROM CLOUD: {int(code)} ({code.description})")
    if not result_was_success(code):
        raise refusal(code, host, port)
    return EXIT_OK


def fail(prog: str, error: CLIError) -> int:
    """Print ``prog: message`` on stderr and return the exit status."""
    print(f"{prog}: {error.message}", file=sys.stderr)
    return error.status


def typed_path(typed: Optional[str], default: Path, what: str = "--db") -> str:
    """The path the user typed, or ``default``. Only the default's directory
    (the state directory) is created for the user: a typed path whose directory
    does not exist is an error, not a tree of new directories.

    :raises CLIError: the directory of ``typed`` does not exist
    """
    if not typed:
        return str(default)
    parent = Path(typed).parent
    if not parent.is_dir():
        raise CLIError(
            f"{what} {typed}: directory {parent} does not exist; create it first "
            f"(or leave out {what} for the default, {default})",
            EXIT_USAGE,
        )
    return typed


def default_db_path() -> Path:
    """``$XDG_STATE_HOME/hologram/localcloud.db``, else under ``~/.local/state``."""
    from hologram_sdk.base.paths import state_dir

    return state_dir() / "localcloud.db"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (handlers restored after)."""
    stop = threading.Event()

    def handler(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def wait(stop: threading.Event, timeout: float) -> None:
    """Wait for ``stop``; a negative ``timeout`` waits until a signal."""
    stop.wait(None if timeout < 0 else timeout)
