"""The formulas of DOMAIN.md §1, defined ONCE as small expression trees.

Each exclusion and each category test is a tree of integer comparisons over named household inputs
(amounts in fen = 0.01 yuan, so every test is exact: no rounding and no floating point anywhere) and
the parameters in force. The single-household engine evaluates a tree in Python (`tree.py(env)`);
the bulk path compiles the very same tree to SQL (`tree.sql(col)`) that runs on SQLite and
PostgreSQL. Multipliers (1.5, 0.80, …) are exact fractions: `a ≤ 1.5·b` is tested as `2·a ≤ 3·b`.

Inputs (per household, evaluation date `on`, window = the 12 months ending with the month of `on`):
  size            number of members
  inc             counted income of the window + imputed minimum wage (fen)
  rigid           rigid expenses (medical, education, rehabilitation) in the window (fen)
  acc, off        accident/disaster costs, and compensation/insurance/aid received against them (fen)
  fin             savings + net investment assets (fen)
  below_months    how many of the last `consecutive_months` months had household income < L × size
  roster, after_aid, cause_marginal, cause_accident, homes, nonres, business, hi_school, abroad,
  vehicle, migrant, union_member, lives_in_city, labour_ok   (0/1 flags; homes is a count)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

FORMULA_VERSIONS = {"A": "A-2026.1", "B": "B-2026.1"}


class Node(ABC):
    """One node of a formula: evaluated in Python (`py`) or compiled to SQL (`sql`) — the same tree."""

    @abstractmethod
    def py(self, env): ...

    @abstractmethod
    def sql(self, col) -> str: ...

    # arithmetic sugar
    def __add__(self, other):
        return Bin("+", self, _n(other))

    def __sub__(self, other):
        return Bin("-", self, _n(other))

    def __mul__(self, other):
        return Bin("*", self, _n(other))

    __rmul__ = __mul__


def _n(x):
    return x if isinstance(x, Node) else Const(int(x))


@dataclass(frozen=True)
class Const(Node):
    value: int

    def py(self, env):
        return self.value

    def sql(self, col):
        return str(int(self.value))


@dataclass(frozen=True)
class Var(Node):
    name: str

    def py(self, env):
        return int(env[self.name])

    def sql(self, col):
        return col(self.name)


@dataclass(frozen=True)
class Bin(Node):
    op: str
    a: Node
    b: Node

    def py(self, env):
        x, y = self.a.py(env), self.b.py(env)
        return x + y if self.op == "+" else x - y if self.op == "-" else x * y

    def sql(self, col):
        return f"({self.a.sql(col)} {self.op} {self.b.sql(col)})"


_CMP = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__, "=": int.__eq__}


@dataclass(frozen=True)
class Cmp(Node):
    """A comparison; `key` names it in the explanation, `div` turns both sides into shown yuan amounts."""

    op: str
    a: Node
    b: Node
    key: str = ""
    div: Node | None = None

    def py(self, env):
        return _CMP[self.op](int(self.a.py(env)), int(self.b.py(env)))

    def sql(self, col):
        return f"({self.a.sql(col)} {self.op} {self.b.sql(col)})"


@dataclass(frozen=True)
class Flag(Node):
    name: str
    key: str = ""

    def py(self, env):
        return bool(env[self.name])

    def sql(self, col):
        return f"({col(self.name)} = 1)"


@dataclass(frozen=True)
class All(Node):
    parts: tuple

    def py(self, env):
        return all(p.py(env) for p in self.parts)

    def sql(self, col):
        return "(" + " AND ".join(p.sql(col) for p in self.parts) + ")"


@dataclass(frozen=True)
class Any_(Node):
    parts: tuple

    def py(self, env):
        return any(p.py(env) for p in self.parts)

    def sql(self, col):
        return "(" + " OR ".join(p.sql(col) for p in self.parts) + ")"


@dataclass(frozen=True)
class Not(Node):
    part: Node

    def py(self, env):
        return not self.part.py(env)

    def sql(self, col):
        return f"(NOT {self.part.sql(col)})"


@dataclass(frozen=True)
class IfElse(Node):
    """`then` when `cond` holds, else `other` (both boolean); the explanation shows the branch taken."""

    cond: Node
    then: Node
    other: Node

    def py(self, env):
        return self.then.py(env) if self.cond.py(env) else self.other.py(env)

    def sql(self, col):
        c = self.cond.sql(col)
        return f"(({c} AND {self.then.sql(col)}) OR ((NOT {c}) AND {self.other.sql(col)}))"


def ratio(value: Decimal) -> tuple[int, int]:
    """An exact fraction (numerator, denominator) for a multiplier stored as a decimal."""
    num, den = Decimal(value).as_integer_ratio()
    return num, den


@dataclass
class Test:
    key: str  # the category (or exclusion reason) it stands for
    tree: Node


@dataclass
class Formulas:
    scheme: str
    exclusions: list[Test] = field(default_factory=list)
    tests: list[Test] = field(default_factory=list)  # in the order the standard lists them

    @property
    def version(self) -> str:
        return FORMULA_VERSIONS[self.scheme]


V = Var


def build(params) -> Formulas:
    """The exclusions and the ordered category tests for the parameters `params` (a `Params`)."""
    L = params.line_fen
    size = V("size")
    inc, rigid, acc, off, fin = V("inc"), V("rigid"), V("acc"), V("off"), V("fin")
    year_line = Const(L * 12) * size  # L × 12 × size: the yearly household amount of the line
    per_cap_month = Const(12) * size  # divide an annual household amount by this to show it per capita

    fa_num, fa_den = ratio(params.financial_assets_multiplier)
    exclusions = [
        Test("two_homes", Cmp(">=", V("homes"), Const(2), key="two_homes")),
        Test("non_residential_property", Flag("nonres", key="non_residential_property")),
        Test("business_with_employees", Flag("business", key="business_with_employees")),
        Test("high_fee_private_school", Flag("hi_school", key="high_fee_private_school")),
        Test("studying_abroad_own_cost", Flag("abroad", key="studying_abroad_own_cost")),
        Test("motor_vehicle", Flag("vehicle", key="motor_vehicle")),
        Test("financial_assets", Cmp(">", fin * fa_den, Const(fa_num * L) * size, key="financial_assets",
                                     div=size * fa_den)),
        Test("migrant_not_union_member", All((Flag("migrant"), Not(Flag("union_member", key="union_member"))))),
        Test("migrant_not_living_in_city", All((Flag("migrant"), Not(Flag("lives_in_city", key="lives_in_city"))))),
        Test("migrant_labour_under_one_year", All((Flag("migrant"), Not(Flag("labour_ok", key="labour_ok"))))),
    ]
    f = Formulas(scheme=params.scheme, exclusions=exclusions)
    if params.scheme == "A":
        m_num, m_den = ratio(params.marginal_multiplier)
        a_num, a_den = ratio(params.accident_pci_multiplier)
        f.tests = [
            Test("A_dibao", Any_((
                All((
                    Cmp("<", inc, year_line, key="pci_below_line", div=per_cap_month),
                    Cmp("=", V("below_months"), Const(params.consecutive_months), key="consecutive_months_below"),
                )),
                Flag("roster", key="on_roster"),
                Flag("after_aid", key="below_after_aid"),
            ))),
            Test("A_marginal", All((
                Cmp(">=", inc, year_line, key="pci_at_least_line", div=per_cap_month),
                Cmp("<=", inc * m_den, year_line * m_num, key="pci_within_marginal_band", div=per_cap_month * m_den),
                Cmp("<=", inc - rigid, year_line, key="net_of_rigid_within_line", div=per_cap_month),
                Flag("cause_marginal", key="marginal_cause"),
            ))),
            Test("A_accident", All((
                Flag("cause_accident", key="accident_cause"),
                IfElse(
                    Cmp("<=", inc * a_den, year_line * a_num, key="pci_within_accident_band",
                        div=per_cap_month * a_den),
                    Cmp("<=", inc - acc, year_line, key="net_of_accident_within_line", div=per_cap_month),
                    Cmp("<=", inc + fin - acc, year_line, key="with_assets_net_of_accident_within_line",
                        div=per_cap_month),
                ),
            ))),
        ]
    else:
        r_num, r_den = ratio(params.relative_multiplier)
        s_num, s_den = ratio(params.accident_cost_share)
        f.tests = [
            Test("B_deep", Cmp("<", inc - rigid, year_line, key="net_below_line", div=per_cap_month)),
            Test("B_relative", Cmp("<", (inc - rigid) * r_den, year_line * r_num, key="net_below_relative",
                                   div=per_cap_month * r_den)),
            Test("B_accident", All((
                Flag("cause_accident", key="accident_cause"),
                Cmp(">", (acc - off) * s_den, inc * s_num, key="accident_costs_over_share", div=Const(s_den)),
            ))),
        ]
    return f


def category_sql(formulas: Formulas, col) -> str:
    """The CASE expression giving the category: the same trees the Python engine evaluates."""
    parts = ["CASE", f"WHEN {col('size')} = 0 THEN ''"]
    if formulas.exclusions:
        parts.append("WHEN " + " OR ".join(t.tree.sql(col) for t in formulas.exclusions) + " THEN 'none'")
    for t in formulas.tests:
        parts.append(f"WHEN {t.tree.sql(col)} THEN '{t.key}'")
    parts.append("ELSE 'none' END")
    return " ".join(parts)


def first_passing(formulas: Formulas, env) -> tuple[str, list[str]]:
    """(category, exclusion reasons) by the Python evaluation of the same trees."""
    if int(env["size"]) == 0:
        return "", []
    reasons = [t.key for t in formulas.exclusions if t.tree.py(env)]
    if reasons:
        return "none", reasons
    for t in formulas.tests:
        if t.tree.py(env):
            return t.key, []
    return "none", []
