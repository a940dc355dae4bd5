"""ASCII digit checks for parsers.

``str.isdigit`` is also true for characters such as ``"²"``, which ``int``
refuses: a modem line ``+CME ERROR: 10²`` passed the check and then raised
ValueError (found by the AT fuzz test). Every parser here asks this instead.
"""

from __future__ import annotations


def is_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits ``0``-``9``."""
    return text.isascii() and text.isdigit()
