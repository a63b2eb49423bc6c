"""PHQ-9 and GAD-7 scoring: the published bands at every boundary, the self-harm item, and bad answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from bangfu.care import instruments


def answers_for(total: int, count: int, *, last: int | None = None) -> list[int]:
    """`count` answers summing to `total` (item by item up to 3); `last` fixes the last item's answer."""
    values = [0] * count
    fixed = last if last is not None else 0
    remaining = total - fixed
    for i in range(count - (1 if last is not None else 0)):
        values[i] = min(3, remaining)
        remaining -= values[i]
    assert remaining == 0
    if last is not None:
        values[-1] = last
    return values


@pytest.mark.parametrize(("total", "band"), [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe"),
])
def test_phq9_bands_at_the_boundaries(total, band):
    result = instruments.score("phq9", answers_for(total, 9))  # items filled in order: item 9 last
    assert (result.score, result.band) == (total, band)
    assert result.self_harm_positive is (total > 24)


@pytest.mark.parametrize(("total", "band"), [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "severe"), (21, "severe"),
])
def test_gad7_bands_at_the_boundaries(total, band):
    result = instruments.score("gad7", answers_for(total, 7))
    assert (result.score, result.band) == (total, band)
    assert result.self_harm_positive is False  # GAD-7 has no self-harm item


@pytest.mark.parametrize("item_9", [1, 2, 3])
def test_phq9_item_9_above_zero_is_self_harm_positive_whatever_the_score(item_9):
    result = instruments.score("phq9", [0] * 8 + [item_9])
    assert result.self_harm_positive is True
    assert result.band == "minimal"


def test_the_band_labels_are_the_published_ones():
    assert [str(instruments.band_label(code)) for _low, _high, code in instruments.PHQ9.band_ranges()] == [
        "Minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    assert instruments.PHQ9.band_ranges()[-1] == (20, 27, "severe")
    assert instruments.GAD7.band_ranges() == [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"),
                                              (15, 21, "severe")]
    assert len(instruments.PHQ9.items) == 9 and len(instruments.GAD7.items) == 7
    assert [str(label) for _v, label in instruments.ANSWER_CHOICES] == [
        "Not at all", "Several days", "More than half the days", "Nearly every day"]


def messages_of(instrument, answers) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        instruments.score(instrument, answers)
    return caught.value.message_dict["answers"]


def test_a_missing_item_is_named():
    messages = messages_of("phq9", [1, 1, 1, 1, 1, 1, 1, 1])
    assert len(messages) == 1 and messages[0].startswith("Item 9 ")
    messages = messages_of("gad7", [1, None, 1, 1, "", 1, 1])
    assert [m.split(" ")[1] for m in messages] == ["2", "5"]


@pytest.mark.parametrize("bad", [4, -1, 2.5, "2", True, [1]])
def test_an_out_of_range_or_non_integer_answer_is_named(bad):
    messages = messages_of("phq9", [0, 0, bad, 0, 0, 0, 0, 0, 0])
    assert len(messages) == 1
    assert messages[0].startswith("Item 3: the answer must be a whole number from 0 to 3")


def test_too_many_answers_and_not_a_list():
    assert "PHQ-9 has 9 items; 10 answers were given." in messages_of("phq9", [0] * 10)
    assert messages_of("gad7", "0123") == [
        "Give the answers as a list of 7 numbers from 0 to 3, one per item."]


def test_an_unknown_instrument():
    with pytest.raises(ValidationError) as caught:
        instruments.score("bdi", [0] * 21)
    assert "instrument" in caught.value.message_dict
