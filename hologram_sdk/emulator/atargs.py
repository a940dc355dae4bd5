"""Argument parsing for the command handlers and the exceptions that end a command."""

from __future__ import annotations


class _Fail(Exception):
    """A command failed: kind is "error", "cme" or "cms"."""

    def __init__(self, kind: str, code: int = 0) -> None:
        super().__init__(kind, code)
        self.kind = kind
        self.code = code


class _Final(Exception):
    """A command ends the line with this result (CONNECT, NO CARRIER, BUSY...)."""

    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


class _Prompt(Exception):
    """A command asks for more input: send this prompt and give no final result."""

    def __init__(self, prompt: bytes) -> None:
        super().__init__(prompt)
        self.prompt = prompt


def _split_args(text: str) -> list[str]:
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


def _int(value: str, lo: int, hi: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise _Fail("error") from None
    if not lo <= number <= hi:
        raise _Fail("error")
    return number


def _syntax(ok: bool) -> None:
    if not ok:
        raise _Fail("error")
