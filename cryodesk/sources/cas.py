"""CAS Registry Numbers: format and check-digit validation.

A CAS RN is ``NNNNNNN-NN-N`` (2 to 7 digits, 2 digits, 1 check digit). The check digit is the sum
of every other digit times its position counted from the right, modulo 10
(for 50-78-2: 8*1 + 7*2 + 0*3 + 5*4 = 42, and 42 mod 10 = 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")


def cas_check_digit(digits: str) -> int:
    """Check digit for the CAS digits without the check digit (``"5078"`` for 50-78-2)."""
    return sum(i * int(d) for i, d in enumerate(reversed(digits), start=1)) % 10


def is_valid_cas(text: str) -> bool:
    """True if ``text`` is a well-formed CAS RN whose check digit is right."""
    match = CAS_RE.match(text.strip())
    if not match:
        return False
    first, second, check = match.groups()
    return cas_check_digit(first + second) == int(check)


def find_cas_numbers(values: Iterable[str]) -> list[str]:
    """The valid CAS RNs among ``values``, in order, without duplicates (leading zeros dropped)."""
    found: list[str] = []
    for value in values:
        text = value.strip()
        if is_valid_cas(text):
            first, rest = text.split("-", 1)
            normalised = f"{int(first)}-{rest}"
            if normalised not in found:
                found.append(normalised)
    return found
