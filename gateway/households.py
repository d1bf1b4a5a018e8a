"""Civic points (积分超市, DESIGN §11): village staff register households, set the village's
rules, score each household once a month per rule and print its redeem code; the village
supermarket's kiosk reads a household's points with that code and exchanges a good from its
own shelf once a quarter.

The head's and members' names and every reason are sealed under the household's own key
before they enter the log and opened here for staff; a kiosk sees the head's name masked
(first character kept), and nothing of a household without its code.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web

from consumers.ledger.rules import quarter_of
from gateway.errors import ApiError
from gateway.http import AREA_CODE, Call, answer, execute
from gateway.masking import mask_name
from gateway.personal import ERASED, Opened
from gateway.routes import COMMAND_ERRORS, _limit, _result, ranked_cursor, route
from households.rules import month_of, rules_for, scorable_months
from schemas import api_households as api
from schemas import households as h
from schemas.api import RedeemCodeOut
from schemas.base import Command
from schemas.common import Role, county_of, within
from schemas.households import CivicEntry, CivicRuleView, HouseholdView, ScoreItem

STAFF = (Role.STAFF,)
KIOSK = (Role.KIOSK,)
TAG = "civic points"
ENTRIES_READ_MAX = 1000
"""Entries of one household a points answer reads (a household has some 60 a year)."""
CURSOR = re.compile(r"([0-9]{1,12})~([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})")


def household_key(household_id: str) -> str:
    """The person key a household's names and reasons are sealed under."""
    return f"household:{household_id}"


def code_subject(household_id: str) -> str:
    """What a household's redeem code is hashed with (never a volunteer's id)."""
    return f"household|{household_id}"


async def _household(call: Call) -> HouseholdView:
    """The household of the path, for staff whose scope contains it (404 otherwise)."""
    household = await call.views.household(call.match("household_id"))
    if household is None:
        raise ApiError(404, "not_found", "no such household")
    call.visible(household.area, "household")
    return household


async def _outs(call: Call, households: Sequence[HouseholdView]) -> list[api.HouseholdOut]:
    opened = await call.sealer.opened([household_key(x.household_id) for x in households])
    names: dict[str, str | None] = {}
    for code in sorted({x.area for x in households}):
        area = await call.views.area(code)
        names[code] = None if area is None else area.name
    return [_out(call, x, opened, names[x.area]) for x in households]


def _out(call: Call, household: HouseholdView, opened: Opened, area_name: str | None
         ) -> api.HouseholdOut:
    staff = call.who.role is Role.STAFF
    now = call.config.clock()
    key = household_key(household.household_id)
    head = opened.open(key, "head_name", household.head_name) or ""
    members = opened.open(key, "members", household.members) or ""
    code = household.code
    quarter = quarter_of(now)
    return api.HouseholdOut(
        household_id=household.household_id, area=household.area, area_name=area_name,
        head_name=head if staff or head == ERASED else mask_name(head),
        members=members.splitlines() if staff and members != ERASED else [],
        balance=household.balance, quarter=quarter,
        exchanged_this_quarter=quarter in household.quarters,
        code_expires_at=(code.expires_at if staff and code is not None and not code.used
                         and code.expires_at > now else None),
        created_at=household.created_at)


async def _answer(call: Call, household_id: str, status: int = 200) -> web.StreamResponse:
    household = await call.views.household(household_id)
    assert household is not None
    [out] = await _outs(call, [household])
    return answer(out, status)


@route("POST", "/api/v1/households", "Register a household (staff, in an area of their "
       "scope: 403 out_of_scope, 422 unknown_area); the head's and members' names are "
       "sealed under the household's own key. 409 household_exists for an id taken",
       roles=STAFF, body=api.HouseholdIn, answer=api.HouseholdOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def register_household(call: Call) -> web.StreamResponse:
    body: api.HouseholdIn = call.body
    await call.registers_in(body.area)

    async def build() -> Command:
        sealed = await call.sealer.seal(household_key(body.household_id), {
            "head_name": body.head_name, "members": "\n".join(body.members)})
        return h.RegisterHousehold(**call.envelope(), county=county_of(body.area),
                                   household_id=body.household_id, area=body.area,
                                   head_name=sealed["head_name"] or "",
                                   members=sealed["members"] or "")

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    response = await _answer(call, body.household_id, 201)
    response.headers["Location"] = f"/api/v1/households/{body.household_id}/points"
    return response


@route("GET", "/api/v1/households", "The households of the caller's scope (`area` narrows "
       "it, 403 out_of_scope outside), the latest registered first, a page at a time",
       roles=STAFF, answer=api.HouseholdListOut, errors=(400, 401, 403), tag=TAG,
       query=(("area", "an area code"), ("limit", "1-200"),
              ("cursor", "from the previous page's next_cursor")))
async def list_households(call: Call) -> web.StreamResponse:
    area = call.listed_area()
    limit = _limit(call)
    after = ranked_cursor(call.request.query.get("cursor"), CURSOR)
    page = await call.views.households(area, limit, after)
    last = page[-1] if len(page) == limit else None
    return answer(api.HouseholdListOut(
        households=await _outs(call, page),
        next_cursor=None if last is None else f"{last.seq}~{last.household_id}"))


def _rule_out(rule: CivicRuleView) -> api.CivicRuleOut:
    return api.CivicRuleOut(rule_id=rule.rule_id, area=rule.area, name=rule.name,
                            points_max=rule.points_max, active=rule.active,
                            updated_at=rule.updated_at)


@route("POST", "/api/v1/civic-rules", "Set one of a village's civic rules (staff, in an "
       "area of their scope): it applies to every household in or below its area, each "
       "month's scoring giving at most `points_max`. The same id again changes its name, "
       "maximum or `active` (false retires it; what it gave stays); an id set for another "
       "area is 409 rule_exists. Answers 201 with the rule",
       roles=STAFF, body=api.CivicRuleIn, answer=api.CivicRuleOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def set_civic_rule(call: Call) -> web.StreamResponse:
    body: api.CivicRuleIn = call.body
    await call.registers_in(body.area)
    county = county_of(body.area)
    out = _result(await execute(call, h.SetCivicRule(
        **call.envelope(), county=county, rule_id=body.rule_id, area=body.area,
        name=body.name, points_max=body.points_max, active=body.active)))
    if isinstance(out, web.Response):
        return out
    rule = next(r for r in await call.views.civic_rules(county) if r.rule_id == body.rule_id)
    return answer(_rule_out(rule), 201)


def _area_query(call: Call) -> str:
    raw = call.request.query.get("area") or call.who.scope
    if raw is None or not AREA_CODE.fullmatch(raw):
        raise ApiError(400, "bad_area", "name the village: area must be an area code")
    return raw


@route("GET", "/api/v1/civic-rules", "The civic rules that bear on an area (staff, within "
       "their scope; a kiosk, its own area): those set for it, for an area containing it "
       "(they apply to its households) and for the areas below it; retired ones too, marked "
       "`active: false`",
       roles=(Role.STAFF, Role.KIOSK), answer=api.CivicRuleListOut, errors=(400, 401, 403),
       tag=TAG, query=(("area", "an area code (default: the caller's scope)"),))
async def list_civic_rules(call: Call) -> web.StreamResponse:
    area = _area_query(call)
    call.creates_in(area)
    rules = [r for r in await call.views.civic_rules(county_of(area))
             if within(area, r.area) or within(r.area, area)]
    return answer(api.CivicRuleListOut(rules=[_rule_out(r) for r in rules]))


@route("POST", "/api/v1/households/{household_id}/scores", "Score a household for one month "
       "(staff in scope): each item names a rule that applies to it (422 unknown_rule, "
       "naming `items.N.rule_id`), at most the rule's `points_max` (422 points_over_max, "
       "naming `points`), with a reason. A month is scored during that month and the next, "
       "in China time (422 month_closed); each rule once a month (409 already_scored: "
       "correct it first). Nothing is scored if any item is refused. Answers 201 with the "
       "household's balance",
       roles=STAFF, body=api.ScoresIn, answer=api.ScoresOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def score_household(call: Call) -> web.StreamResponse:
    body: api.ScoresIn = call.body
    household = await _household(call)
    key = household_key(household.household_id)

    async def build() -> Command:
        items = []
        for item in body.items:
            sealed = await call.sealer.seal(key, {"reason": item.reason})
            items.append(ScoreItem(rule_id=item.rule_id, points=item.points,
                                   reason=sealed["reason"] or ""))
        return h.ScoreHousehold(**call.envelope(), county=household.county,
                                household_id=household.household_id, month=body.month,
                                items=tuple(items))

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    return answer(api.ScoresOut(household_id=household.household_id, month=body.month,
                                balance=out["balance"]), 201)


@route("POST", "/api/v1/households/{household_id}/corrections", "Correct a month's scoring "
       "by one rule (staff in scope), with a reason: a reversing entry takes its points back "
       "(as far as the balance allows: points already exchanged stay so, the rest is "
       "`unrecovered` on the entry) and the month and rule may be scored again while the "
       "month is open; 409 not_scored if it was not. Answers 201 with the balance",
       roles=STAFF, body=api.CorrectionIn, answer=api.ScoresOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def correct_score(call: Call) -> web.StreamResponse:
    body: api.CorrectionIn = call.body
    household = await _household(call)

    async def build() -> Command:
        sealed = await call.sealer.seal(household_key(household.household_id),
                                        {"reason": body.reason})
        return h.CorrectScore(**call.envelope(), county=household.county,
                              household_id=household.household_id, month=body.month,
                              rule_id=body.rule_id, reason=sealed["reason"] or "")

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    return answer(api.ScoresOut(household_id=household.household_id, month=body.month,
                                balance=out["balance"]), 201)


def _entry_out(entry: CivicEntry, opened: Opened) -> api.CivicEntryOut:
    reason = opened.open(household_key(entry.household_id), "reason", entry.reason) or ""
    return api.CivicEntryOut(
        entry_id=entry.entry_id, kind=entry.kind, points=entry.points,
        balance_after=entry.balance_after, month=entry.month, rule_id=entry.rule_id,
        reason=reason, item_id=entry.item_id, redemption_id=entry.redemption_id,
        unrecovered=entry.unrecovered, at=entry.at)


def _check_code(call: Call, household: HouseholdView, code: str) -> None:
    held = household.code
    if (held is None or held.used or held.expires_at <= call.config.clock()
            or not hmac.compare_digest(held.code_hash,
                                       call.code_hash(code_subject(household.household_id),
                                                      code))):
        raise ApiError(403, "code_required", "a kiosk reads a household's points only with "
                       "its valid redeem code")


@route("GET", "/api/v1/households/{household_id}/points", "A household's civic points: "
       "balance, whether it exchanged this quarter, and its entries (scores, corrections, "
       "exchanges), the newest first. Staff in scope see it whole; the kiosk of the "
       "household's village only with its valid redeem code (`?code=`, 403 code_required "
       "without; 403 out_of_scope at another village's kiosk), the head's name masked and "
       "no reasons. Civic points are their own account: never a volunteer's points",
       roles=(Role.STAFF, Role.KIOSK), answer=api.CivicPointsOut, errors=(400, 401, 403, 404),
       tag=TAG, query=(("limit", "entries, 1-200"),
                       ("code", "kiosks: the household's current redeem code")))
async def household_points(call: Call) -> web.StreamResponse:
    limit = _limit(call)
    if call.who.role is Role.KIOSK:
        household = await call.views.household(call.match("household_id"))
        if household is None:
            raise ApiError(404, "not_found", "no such household")
        if not call.sees(household.area):
            raise ApiError(403, "out_of_scope", "this household belongs to another village's "
                           "supermarket")
        _check_code(call, household, call.request.query.get("code", ""))
    else:
        household = await _household(call)
    [out] = await _outs(call, [household])
    entries, total = await call.views.civic_entries(household, ENTRIES_READ_MAX)
    newest = list(reversed(entries))[:limit]
    if call.who.role is Role.KIOSK:
        newest = [e.model_copy(update={"reason": ""}) for e in newest]
    opened = await call.sealer.opened([household_key(household.household_id)])
    return answer(api.CivicPointsOut(**out.model_dump(),
                                     entries=[_entry_out(e, opened) for e in newest],
                                     entries_total=total))


@route("POST", "/api/v1/households/{household_id}/redeem-code", "A redeem code for the "
       "household's head, to print (staff in scope): 8 digits, valid for "
       "VD_HOUSEHOLD_CODE_TTL_S (90 days) and for one exchange; a new one replaces the "
       "last. Shown once: the platform keeps only its keyed hash",
       roles=STAFF, answer=RedeemCodeOut, errors=COMMAND_ERRORS, tag=TAG)
async def household_redeem_code(call: Call) -> web.StreamResponse:
    household = await _household(call)
    envelope = call.envelope()
    code = call.redeem_code(envelope["command_id"])
    expires_at = envelope["occurred_at"] + timedelta(seconds=call.config.household_code_ttl_s)
    out = _result(await execute(call, h.IssueHouseholdCode(
        **envelope, county=household.county, household_id=household.household_id,
        code_hash=call.code_hash(code_subject(household.household_id), code),
        expires_at=expires_at)))
    if isinstance(out, web.Response):
        return out
    return answer(RedeemCodeOut(code=code, expires_at=expires_at))


@route("POST", "/api/v1/civic-redemptions", "Exchange a good for a household's civic points "
       "at the village supermarket's kiosk: the household's valid redeem code (403 "
       "code_required, code_used, code_expired), a household of the kiosk's area (403 "
       "out_of_scope at another village's kiosk), a good of this kiosk's own shelf (404 "
       "unknown_item) in stock (409 out_of_stock), once a quarter in China time (409 "
       "quarter_used) and within the balance (409 insufficient_points). Answers 201 with "
       "the new balance",
       roles=KIOSK, body=api.CivicRedemptionIn, answer=api.CivicRedemptionOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def civic_redemption(call: Call) -> web.StreamResponse:
    body: api.CivicRedemptionIn = call.body
    household = await call.views.household(body.household_id)
    if household is None:
        raise ApiError(404, "household_not_found", f"no household {body.household_id}")
    out = _result(await execute(call, h.RedeemCivic(
        **call.envelope(), county=household.county, household_id=household.household_id,
        item_id=body.item_id,
        code_hash=call.code_hash(code_subject(household.household_id), body.code),
        kiosk_id=call.who.subject, kiosk_area=call.who.scope,
        redemption_id=f"CR-{call.command_id.hex[:20]}")))
    if isinstance(out, web.Response):
        return out
    return answer(api.CivicRedemptionOut(
        redemption_id=out["redemption_id"], status=out["status"], balance=out["balance"],
        item_id=out["item_id"], points=out["points"], quarter=out["quarter"]), 201)


@route("GET", "/api/v1/civic-sheet", "A village's scoring sheet for a month (staff in "
       "scope): the rules that apply there and each household of the area with what each "
       "rule stands at that month (a rule not named is not scored yet); `open` says whether "
       "the month may still be scored. At most VD_CIVIC_SHEET_MAX (500) households, in the "
       "order of their ids (`truncated` beyond)",
       roles=STAFF, answer=api.SheetOut, errors=(400, 401, 403), tag=TAG,
       query=(("area", "the village (default: the caller's scope)"),
              ("month", "YYYY-MM (default: this month)")))
async def civic_sheet(call: Call) -> web.StreamResponse:
    area = _area_query(call)
    call.creates_in(area)
    now = call.config.clock()
    month = call.request.query.get("month") or month_of(now)
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
        raise ApiError(400, "bad_month", "month must be YYYY-MM")
    cap = call.config.civic_sheet_max
    households = await call.views.households(area, cap + 1)
    truncated = len(households) > cap
    households = sorted(households[:cap], key=lambda x: x.household_id)
    county_rules = {r.rule_id: r for r in await call.views.civic_rules(county_of(area))}
    rules = [r for r in county_rules.values() if r.active
             and (within(area, r.area) or within(r.area, area))]
    outs = await _outs(call, households)
    rows = []
    for household, out in zip(households, outs, strict=True):
        applying = {r.rule_id for r in rules_for(household.area, county_rules)}
        rows.append(api.SheetRow(
            household_id=household.household_id, head_name=out.head_name,
            area=household.area, balance=household.balance,
            scores={rule: points for key, points in household.sheet.items()
                    for m, rule in [key.split("|", 1)] if m == month and rule in applying}))
    return answer(api.SheetOut(area=area, month=month, open=month in scorable_months(now),
                               rules=[_rule_out(r) for r in sorted(rules,
                                                                   key=lambda r: r.rule_id)],
                               households=rows, truncated=truncated))
