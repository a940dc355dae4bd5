"""The reference's console scripts: hologram_send.py, hologram_sms.py and hologram_receive.py.

Same flags as the reference, one implementation with ``hologram send|sms|receive``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Callable, Optional

from hologram_sdk.cli import configure_logging


def _main(
    prog: str,
    description: str,
    add_arguments: Callable[..., None],
    argv: Optional[Sequence[str]],
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_arguments(parser, subcommand=False)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


def send_main(argv: Optional[Sequence[str]] = None) -> int:
    """``hologram_send.py``: send a message to the cloud (or a host of your own)."""
    from hologram_sdk.cli import send

    return _main(
        "hologram_send.py", "Send a message to the Hologram cloud.", send.add_arguments, argv
    )


def sms_main(argv: Optional[Sequence[str]] = None) -> int:
    """``hologram_sms.py``: send an SMS through the cloud."""
    from hologram_sdk.cli import sms

    return _main(
        "hologram_sms.py", "Send an SMS through the Hologram cloud.", sms.add_arguments, argv
    )


def receive_main(argv: Optional[Sequence[str]] = None) -> int:
    """``hologram_receive.py``: print inbound messages as they arrive."""
    from hologram_sdk.cli import receive

    return _main("hologram_receive.py", "Receive inbound messages.", receive.add_arguments, argv)
