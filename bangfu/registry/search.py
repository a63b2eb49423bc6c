"""Search keys of a name: pinyin initials (张三丰 → zsf), so staff can type a few letters."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)  # names repeat: bulk imports call this once per row
def initials(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name; Latin letters are kept, other characters dropped."""
    # Imported on first use: its dictionaries take 57 MB, which a process that never writes a name (the
    # import's parent process, which only cuts the file for its workers; the scheduler) should not hold.
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(ch for ch in "".join(letters).lower() if ch.isascii() and ch.isalnum())[:32]
