"""Named atomic write functions of the funds app; forms, the API, campaigns and the demo all call these."""

from django.core.exceptions import ValidationError


class FundsRefused(ValidationError):
    """A write refused by a fund rule. `breaches` lists each rule (code + message); nothing was saved."""

    def __init__(self, breaches):
        self.breaches = list(breaches)
        super().__init__([b.message for b in self.breaches], code=self.breaches[0].code if self.breaches else None)

    @property
    def codes(self) -> list[str]:
        return [b.code for b in self.breaches]
