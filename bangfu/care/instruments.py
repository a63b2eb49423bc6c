"""The standard screening instruments the system scores: PHQ-9 (depression) and GAD-7 (anxiety).

Both ask how often, over the last two weeks, the person was bothered by each problem; every item is answered
0 (not at all), 1 (several days), 2 (more than half the days) or 3 (nearly every day), and the score is the sum.
The severity bands are the published ones (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006):

* PHQ-9, 0–27: 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately severe, 20–27 severe. Item 9 asks about
  thoughts of being better off dead or of self-harm: any answer above 0 is "self-harm positive", whatever the
  score (DOMAIN.md §8: it opens a crisis case).
* GAD-7, 0–21: 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.

Item texts are English msgids; the Chinese UI shows the standard Chinese wording of each instrument.
`score(instrument, answers)` is the one place answers are checked: the number of answers must match the
instrument and each must be a whole number 0–3; otherwise a ValidationError names every bad item.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.care.models import Band

# The four answers of every item (value → label), the same for both instruments.
ANSWER_CHOICES = (
    (0, _("Not at all")),
    (1, _("Several days")),
    (2, _("More than half the days")),
    (3, _("Nearly every day")),
)
MAX_ANSWER = 3

# Severity bands: the model stores the code in `Screening.band` (labels from `Band`).
BAND_LABELS = dict(Band.choices)
SEVERE = Band.SEVERE.value


@dataclass(frozen=True)
class InstrumentSpec:
    code: str
    name: str
    question: object  # the stem above the items (lazy translation)
    items: tuple  # item texts, in order (lazy translations)
    bands: tuple  # (lowest score of the band, band code), ascending
    self_harm_item: int | None = None  # 1-based number of the self-harm item, if the instrument has one

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def max_score(self) -> int:
        return MAX_ANSWER * self.item_count

    def band_for(self, total: int) -> str:
        band = self.bands[0][1]
        for lowest, code in self.bands:
            if total >= lowest:
                band = code
        return band

    def band_ranges(self) -> list[tuple[int, int, str]]:
        """(from, to, band code) for each band: what the page explains under the result."""
        ranges = []
        for index, (lowest, code) in enumerate(self.bands):
            highest = self.bands[index + 1][0] - 1 if index + 1 < len(self.bands) else self.max_score
            ranges.append((lowest, highest, code))
        return ranges


TWO_WEEKS = _("Over the last 2 weeks, how often have you been bothered by any of the following problems?")

PHQ9 = InstrumentSpec(
    code="phq9",
    name="PHQ-9",
    question=TWO_WEEKS,
    items=(
        _("Little interest or pleasure in doing things"),
        _("Feeling down, depressed, or hopeless"),
        _("Trouble falling or staying asleep, or sleeping too much"),
        _("Feeling tired or having little energy"),
        _("Poor appetite or overeating"),
        _("Feeling bad about yourself — or that you are a failure or have let yourself or your family down"),
        _("Trouble concentrating on things, such as reading the newspaper or watching television"),
        _("Moving or speaking so slowly that other people could have noticed; or the opposite — being so "
          "fidgety or restless that you have been moving around a lot more than usual"),
        _("Thoughts that you would be better off dead, or of hurting yourself in some way"),
    ),
    bands=((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately_severe"), (20, "severe")),
    self_harm_item=9,
)

GAD7 = InstrumentSpec(
    code="gad7",
    name="GAD-7",
    question=TWO_WEEKS,
    items=(
        _("Feeling nervous, anxious, or on edge"),
        _("Not being able to stop or control worrying"),
        _("Worrying too much about different things"),
        _("Trouble relaxing"),
        _("Being so restless that it is hard to sit still"),
        _("Becoming easily annoyed or irritable"),
        _("Feeling afraid, as if something awful might happen"),
    ),
    bands=((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
)

INSTRUMENTS = {PHQ9.code: PHQ9, GAD7.code: GAD7}


@dataclass(frozen=True)
class Result:
    """What the system computed from one set of answers."""

    instrument: str
    answers: tuple[int, ...]
    score: int
    band: str
    self_harm_positive: bool

    @property
    def band_label(self) -> str:
        return band_label(self.band)

    @property
    def severe(self) -> bool:
        return self.band == SEVERE


def spec(instrument: str) -> InstrumentSpec:
    """The instrument by code; ValidationError for an unknown one."""
    try:
        return INSTRUMENTS[instrument]
    except (KeyError, TypeError):
        raise ValidationError({"instrument": [gettext("Choose PHQ-9 or GAD-7.")]}, code="instrument") from None


def band_label(code: str) -> str:
    return str(BAND_LABELS.get(code, code))


def answer_label(value) -> str:
    return str(dict(ANSWER_CHOICES).get(value, value))


def _is_answer(value) -> bool:
    # bool is an int in Python; True must not count as "several days".
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ANSWER


def item_errors(instrument: str, answers) -> dict[int, str]:
    """Every problem with `answers`, by 1-based item number (0: the answers as a whole). Empty when valid."""
    form = spec(instrument)
    if not isinstance(answers, list | tuple):
        return {0: gettext("Give the answers as a list of %(count)d numbers from 0 to 3, one per item.")
                % {"count": form.item_count}}
    errors: dict[int, str] = {}
    for number in range(1, form.item_count + 1):
        value = answers[number - 1] if number <= len(answers) else None
        if value is None or value == "":
            errors[number] = gettext("Item %(number)d (“%(item)s”) has no answer.") % {
                "number": number, "item": form.items[number - 1]}
        elif not _is_answer(value):
            errors[number] = gettext("Item %(number)d: the answer must be a whole number from 0 to 3, "
                                     "not %(value)s.") % {"number": number, "value": str(value)[:20]}
    if len(answers) > form.item_count:
        errors[0] = gettext("%(name)s has %(count)d items; %(given)d answers were given.") % {
            "name": form.name, "count": form.item_count, "given": len(answers)}
    return errors


def score(instrument: str, answers) -> Result:
    """Score one screening: the sum, its published band, and the self-harm item (PHQ-9 item 9 > 0).

    Raises ValidationError({"answers": [...]}) naming every missing or out-of-range item, and an error on
    `instrument` for an unknown instrument."""
    form = spec(instrument)
    errors = item_errors(instrument, answers)
    if errors:
        raise ValidationError({"answers": [errors[number] for number in sorted(errors)]}, code="answers")
    values = tuple(answers)
    total = sum(values)
    self_harm = bool(form.self_harm_item and values[form.self_harm_item - 1] > 0)
    return Result(instrument=form.code, answers=values, score=total, band=form.band_for(total),
                  self_harm_positive=self_harm)
