"""The classification engine (DOMAIN.md §1). Public entry points:

    refresh(household, on=None)  -> re-run classification and need score after the household's inputs changed
"""


def refresh(household, on=None):
    """Re-classify `household` and recompute its need score, storing the result.

    PLACEHOLDER until the engine lands: does nothing. Callers (archive edits, lifecycle) call it already.
    """
    return None
