"""What a command family is made of: commands, their arguments, and how a command ends.

A command family is an object with a ``commands()`` method returning its
command table (``{"+CSQ": Command(self.csq), ...}``), written beside its
handlers. A handler is called as ``handler(op, args)``: ``op`` is "exec",
"read", "test" or "set", ``args`` the comma-separated arguments of a set
(quotes stripped). It returns its information lines; it ends the command in
any other way by raising :class:`CommandFailed` (ERROR / +CME / +CMS),
:class:`FinalResult` (CONNECT, NO CARRIER, SEND OK...) or
:class:`PromptForInput` (a prompt, then the bytes go to an :class:`Entry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Protocol

if TYPE_CHECKING:
    from hologram_sdk.emulator.line import LineDiscipline

Handler = Callable[[str, "list[str]"], "list[str]"]


@dataclass(frozen=True)
class Command:
    """One AT command: its handler and whether it needs a ready SIM."""

    handler: Handler
    #: SIM-dependent: "cme" or "cms" names the error family when the SIM is not ready
    sim: Optional[str] = None


#: a family's command table: name ("+CSQ", "^SYSINFO", "D", "&F") -> command
CommandTable = dict[str, Command]


class CommandFamily(Protocol):
    """A group of commands installed together (``ModemEmulator.install``)."""

    def commands(self) -> CommandTable: ...


class Entry(Protocol):
    """Input that follows a prompt (SMS text, socket data) until it is complete."""

    def take(self, byte: int, line: LineDiscipline) -> bool:
        """Consume one byte; True once the entry is over and has sent its answer."""
        ...


class CommandFailed(Exception):
    """A command failed: kind is "error", "cme" or "cms"."""

    def __init__(self, kind: str, code: int = 0) -> None:
        super().__init__(kind, code)
        self.kind = kind
        self.code = code


class FinalResult(Exception):
    """A command ends the line with this result (CONNECT, NO CARRIER, BUSY...)."""

    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


class PromptForInput(Exception):
    """A command asks for more input: send ``prompt``, then feed ``entry``."""

    def __init__(self, prompt: bytes, entry: Entry) -> None:
        super().__init__(prompt)
        self.prompt = prompt
        self.entry = entry


def split_args(text: str) -> list[str]:
    """Split on commas outside double quotes; strip spaces and the quotes."""
    args: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    args.append("".join(cur).strip())
    return [a[1:-1] if len(a) >= 2 and a[0] == a[-1] == '"' else a for a in args]


def int_arg(value: str, lo: int, hi: int) -> int:
    """An integer argument in ``lo..hi``, else ERROR."""
    try:
        number = int(value)
    except ValueError:
        raise CommandFailed("error") from None
    if not lo <= number <= hi:
        raise CommandFailed("error")
    return number


def require(ok: bool) -> None:
    """ERROR unless ``ok`` (a syntax check)."""
    if not ok:
        raise CommandFailed("error")


def cme(code: int) -> CommandFailed:
    """A ``+CME ERROR: <code>`` failure."""
    return CommandFailed("cme", code)
