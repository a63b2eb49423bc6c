"""The named facts about a household that recommendation rules are written against.

`household_facts(household)` reads the archive (household flags, members, causes, the latest classification)
and returns `{fact name: value}`; every value is plain JSON (bool, int, str or a list of str), so the facts
that made a rule match can be stored with its proposal and shown later exactly as they were.

`FACTS` documents every fact: its name (what a rule's condition names), a label and a description for the
rule editor, and its type, which decides the operators a condition may use on it (see
`bangfu.plans.engine.validate_condition`):

* bool: eq, ne               * int: eq, ne, gt, gte, lt, lte, in
* str: eq, ne, in            * list (of codes): contains

Ages and the working age are counted on the evaluation date; the working age comes from the classification
policy in force for the household's division (DOMAIN.md §1: 16–60 by default). "Able to work" follows the
archive: a member marked able-bodied, of working age and not a student.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# School stages after which a student usually looks for work (the end of the "school aid chain").
FINAL_SCHOOL_STAGES = frozenset({"vocational", "college", "undergraduate", "graduate"})
HIGHER_EDUCATION_STAGES = frozenset({"college", "undergraduate", "graduate"})
DEFAULT_WORKING_AGE = (16, 60)
# Severe disability: grades 1 and 2 of the national disability grading.
SEVERE_DISABILITY_GRADES = (1, 2)


@dataclass(frozen=True)
class Fact:
    name: str
    type: str  # "bool" | "int" | "str" | "list"
    label: Any
    description: Any
    # For str and list facts: the codes a condition may compare with (None: any string).
    choices: Any = None

    def allowed_values(self) -> list[str] | None:
        return list(self.choices()) if callable(self.choices) else None


def _cause_codes():
    from bangfu.registry.models.codes import CodeItem, CodeList

    return CodeItem.objects.of(CodeList.CAUSE).values_list("code", flat=True)


def _categories():
    from bangfu.registry.models import Category

    return ["", *Category.values]


def _common_levels():
    from bangfu.registry.models import CommonLevel

    return ["", *CommonLevel.values]


def _states():
    from bangfu.registry.models import State

    return State.values


_FACT_LIST = [
    # household flags of the archive
    Fact("some_self_help_ability", "bool", _("Some self-help ability"),
         _("The archive says the family has some ability to help itself.")),
    Fact("on_minimum_living_roster", "bool", _("On the minimum-living roster"),
         _("The family is on the civil-affairs minimum-living (低保) roster.")),
    Fact("zero_employment", "bool", _("Zero-employment household"),
         _("Nobody of working age in the family has a job (as recorded in the archive).")),
    Fact("single_parent", "bool", _("Single-parent family"), _("The archive records a single-parent family.")),
    Fact("is_migrant_worker", "bool", _("Migrant worker household"), _("The head is a migrant worker (农民工).")),
    Fact("urgent_care", "bool", _("Urgent care needed"), _("The archive flags that urgent care is needed.")),
    Fact("household_size", "int", _("Household size"), _("Number of people in the household (the archive).")),
    Fact("state", "str", _("Archive state"), _("The state of the archive, e.g. active or home_visit."),
         _states),
    # classification
    Fact("category", "str", _("Hardship category"),
         _("Category code of the latest classification, e.g. A_dibao or B_deep (empty if not classified)."),
         _categories),
    Fact("common_level", "str", _("Common level"),
         _("Common level of the latest classification: deep, relative, accident or none."), _common_levels),
    # causes
    Fact("main_cause", "str", _("Main cause of hardship"), _("Code of the main cause (cause code list)."),
         _cause_codes),
    Fact("causes", "list", _("Causes of hardship"),
         _("Codes of the main and secondary causes, e.g. 1 no ability to work, 2 able to work but not employed, "
           "3 laid off, 4 no social insurance, 5 insurance benefits not delivered, 6 serious disease, "
           "7 natural disaster, 8 accident, 9 children's schooling, 11 disability, 12 single parent."),
         _cause_codes),
    # members
    Fact("member_count", "int", _("Members recorded"), _("Members of the household recorded in the archive.")),
    Fact("working_age_count", "int", _("Members of working age"),
         _("Members of working age on the evaluation date (16–60 unless the local policy says otherwise).")),
    Fact("able_to_work_count", "int", _("Members able to work"),
         _("Members of working age, able-bodied and not students.")),
    Fact("jobless_able_count", "int", _("Able members without a job"),
         _("Members able to work whose work status counts as having no job (laid off, unemployed, not "
           "working).")),
    Fact("student_count", "int", _("Students"), _("Members who are students.")),
    Fact("higher_education_student_count", "int", _("Students in higher education"),
         _("Students at a junior college, university or graduate school.")),
    Fact("graduating_student_count", "int", _("Students about to graduate"),
         _("Students of a vocational school, college or university whose course ends this year or next year "
           "(year of entry + length of study).")),
    Fact("serious_illness_count", "int", _("Members with a serious disease"),
         _("Members whose health status is a serious disease of the health code list.")),
    Fact("disabled_count", "int", _("Members with a disability"),
         _("Members with a disability type or grade recorded, or whose health status is 'disabled'.")),
    Fact("severe_disability_count", "int", _("Members with a severe disability"),
         _("Members with a disability of grade 1 or 2.")),
    Fact("uninsured_count", "int", _("Members without medical insurance"),
         _("Members recorded as not covered by any medical insurance.")),
    Fact("minor_count", "int", _("Children under 16"), _("Members younger than 16.")),
    Fact("elderly_count", "int", _("Members over working age"), _("Members older than the working age.")),
    Fact("head_age", "int", _("Age of the head"), _("Age of the head of household in whole years.")),
]
FACTS: dict[str, Fact] = {fact.name: fact for fact in _FACT_LIST}


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def working_age(household, on: dt.date) -> tuple[int, int]:
    """(from, to) in years: the classification policy of the household's division, else 16–60."""
    from bangfu.registry.classification.params import policy_in_force

    policy = policy_in_force(household.division, on) if household.division_id else None
    if policy is None:
        return DEFAULT_WORKING_AGE
    return policy.working_age_from, policy.working_age_to


def household_facts(household, on: dt.date | None = None) -> dict[str, Any]:
    """Every fact of `FACTS` for one household, computed from its archive on `on` (today by default)."""
    from bangfu.registry.models.codes import codes_with_flag

    on = on or timezone.localdate()
    youngest, oldest = working_age(household, on)
    serious = set(codes_with_flag("health", "serious"))
    no_job = set(codes_with_flag("work_status", "no_job"))
    members = list(household.members.all())
    causes = sorted(household.causes.all(), key=lambda c: (not c.is_main, c.code))
    ages = {m.pk: age_on(m.birth_date, on) for m in members}

    def of_working_age(m) -> bool:
        return youngest <= ages[m.pk] <= oldest

    def able(m) -> bool:
        return of_working_age(m) and m.able_to_work and not m.is_student

    def graduating(m) -> bool:
        if not (m.is_student and m.school_stage in FINAL_SCHOOL_STAGES):
            return False
        if not (m.school_entry_year and m.school_length_years):
            return False
        return m.school_entry_year + m.school_length_years <= on.year + 1

    head = next((m for m in members if m.is_head), None)
    return {
        "some_self_help_ability": bool(household.some_self_help_ability),
        "on_minimum_living_roster": bool(household.on_minimum_living_roster),
        "zero_employment": bool(household.zero_employment),
        "single_parent": bool(household.single_parent),
        "is_migrant_worker": bool(household.is_migrant_worker),
        "urgent_care": bool(household.urgent_care),
        "household_size": int(household.household_size or len(members)),
        "state": household.state,
        "category": household.category or "",
        "common_level": household.common_level or "",
        "main_cause": next((c.code for c in causes if c.is_main), ""),
        "causes": [c.code for c in causes],
        "member_count": len(members),
        "working_age_count": sum(1 for m in members if of_working_age(m)),
        "able_to_work_count": sum(1 for m in members if able(m)),
        "jobless_able_count": sum(1 for m in members if able(m) and m.work_status in no_job),
        "student_count": sum(1 for m in members if m.is_student),
        "higher_education_student_count": sum(
            1 for m in members if m.is_student and m.school_stage in HIGHER_EDUCATION_STAGES),
        "graduating_student_count": sum(1 for m in members if graduating(m)),
        "serious_illness_count": sum(1 for m in members if m.health in serious),
        "disabled_count": sum(1 for m in members if m.disability_type or m.disability_grade
                              or m.health == "disabled"),
        "severe_disability_count": sum(1 for m in members if m.disability_grade in SEVERE_DISABILITY_GRADES),
        "uninsured_count": sum(1 for m in members if m.medical_insurance == "none"),
        "minor_count": sum(1 for m in members if ages[m.pk] < youngest),
        "elderly_count": sum(1 for m in members if ages[m.pk] > oldest),
        "head_age": ages[head.pk] if head else 0,
    }


def fact_value_text(name: str, value) -> str:
    """A stored fact value in words for the page: yes/no, code labels, numbers."""
    from django.utils.translation import gettext

    from bangfu.registry.models import Category, CommonLevel, State
    from bangfu.registry.models.codes import CodeList, code_label

    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if name in ("causes", "main_cause"):
        codes = value if isinstance(value, list) else [value]
        return ", ".join(f"{code} {code_label(CodeList.CAUSE, code)}" for code in codes if code) or "—"
    for field, choices in (("category", Category), ("common_level", CommonLevel), ("state", State)):
        if name == field:
            return str(choices(value).label) if value in choices.values else (value or "—")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def describe_facts(facts: dict) -> list[dict]:
    """Stored facts as rows for a page: name, label, the value in words (unknown names shown as they are)."""
    rows = []
    for name, value in (facts or {}).items():
        fact = FACTS.get(name)
        rows.append({"name": name, "label": str(fact.label) if fact else name, "value": fact_value_text(name, value)})
    return rows
