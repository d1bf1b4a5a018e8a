"""Which orders wait for the office's review (审单, DESIGN §11): the rule that applies to an
order is the most specific of the county's rules, by the longest area that contains the
order's area, then by one naming the order's service type over one for every type. Where no
rule applies the platform's `VD_REVIEW_REQUIRED` decides, as before rules.

Rules are keyed by area and type, so choosing one is at most ten look-ups (four levels of
the area tree and the county, twice), however many rules the county holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from schemas.common import ancestors
from schemas.views import ReviewRuleView

EVERY_TYPE = "*"
"""The key part of a rule for every service type."""


def rule_key(area: str, service_type: str | None) -> str:
    return f"{area}/{service_type or EVERY_TYPE}"


def applicable_rule(rules: Mapping[str, ReviewRuleView], area: str, service_type: str
                    ) -> ReviewRuleView | None:
    """The most specific rule for an order in this area of this type, if any."""
    for code in ancestors(area):
        for kind in (service_type, None):
            found = rules.get(rule_key(code, kind))
            if found is not None:
                return found
    return None


def review_by(rule: ReviewRuleView | None, required_by_default: bool, submitted_at: datetime
              ) -> tuple[bool, datetime | None]:
    """Whether an order is held for review and until when (None: no deadline)."""
    if rule is None:
        return required_by_default, None
    if not rule.required or rule.sla_s is None:
        return rule.required, None
    return True, submitted_at + timedelta(seconds=rule.sla_s)
