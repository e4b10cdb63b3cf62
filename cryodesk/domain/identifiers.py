"""Syntax checks for identifiers that carry their own check digits or fixed shapes."""

from __future__ import annotations

import re

_CAS = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{8}[SN][A-Z]-[A-Z]$")


def is_valid_cas(text: str) -> bool:
    """True if ``text`` is a CAS Registry Number whose check digit is right.

    The check digit is the sum of the other digits, each multiplied by its position counted from
    the right (1, 2, 3, ...), modulo 10 (CAS's published rule).
    """
    match = _CAS.match(text.strip())
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    return sum(int(d) * (i + 1) for i, d in enumerate(digits)) % 10 == int(match.group(3))


def is_inchikey(text: str) -> bool:
    return bool(_INCHIKEY.match(text.strip()))
