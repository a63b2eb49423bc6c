"""Search keys of a name: pinyin initials (张三丰 → zsf), so staff can type a few letters."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)  # names repeat: bulk imports call this once per row
def initials(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name; Latin letters are kept, other characters dropped."""
    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(ch for ch in "".join(letters).lower() if ch.isascii() and ch.isalnum())[:32]
