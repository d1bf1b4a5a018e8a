"""Review rules (审单, DESIGN §11): staff choose per area and service type which orders wait
for the office's review, and within what time. Rules are county data: the dispatcher of the
county owns them beside its areas and teams, and decides with them when an order comes in."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import ApiError
from gateway.http import Call, answer, execute
from gateway.routes import COMMAND_ERRORS, STAFF, _result, route
from schemas import api
from schemas import commands as cmd
from schemas.common import county_of, within
from schemas.views import ReviewRuleView

TAG = "office"


def _out(rule: ReviewRuleView) -> api.ReviewRuleOut:
    return api.ReviewRuleOut(area=rule.area, service_type=rule.service_type,
                             required=rule.required, sla_s=rule.sla_s, set_at=rule.set_at,
                             set_by=rule.set_by)


@route("POST", "/api/v1/review-rules", "Decide whether orders of an area (and below), of "
       "one service type or of every type, wait for the office's review, and within how "
       "many seconds (`sla_s`, only with `required`: 422 otherwise). The same area and type "
       "again replace the rule. For an order the most specific rule wins: the longest area "
       "containing it, then one naming its service type over one for every type; where no "
       "rule applies `VD_REVIEW_REQUIRED` decides. Rules bear on orders submitted after "
       "them; a held order past its SLA is on the board's overdue list with reason "
       "`review_sla`; staff approve it with POST /api/v1/requests/{id}/approve. Staff in an "
       "area of their scope (403 out_of_scope), a registered one (422 unknown_area). "
       "Answers 201 with the rule",
       roles=STAFF, body=api.ReviewRuleIn, answer=api.ReviewRuleOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def set_review_rule(call: Call) -> web.StreamResponse:
    body: api.ReviewRuleIn = call.body
    await call.registers_in(body.area)
    out = _result(await execute(call, cmd.SetReviewRule(**call.envelope(),
                                                        **body.model_dump())))
    if isinstance(out, web.Response):
        return out
    rule = next(r for r in await call.views.review_rules(county_of(body.area))
                if r.area == body.area and r.service_type == body.service_type)
    return answer(_out(rule), 201)


@route("GET", "/api/v1/review-rules", "The review rules that bear on an area (staff, "
       "within their scope): those set for it, for an area containing it and for the areas "
       "below it, by area, then service type",
       roles=STAFF, answer=api.ReviewRuleListOut, errors=(400, 401, 403), tag=TAG,
       query=(("area", "an area code (default: the caller's scope; staff without a scope "
               "name one: 400 bad_area)"),))
async def list_review_rules(call: Call) -> web.StreamResponse:
    area = call.listed_area()
    if area is None:
        raise ApiError(400, "bad_area", "name the area: area must be an area code")
    rules = [r for r in await call.views.review_rules(county_of(area))
             if within(area, r.area) or within(r.area, area)]
    return answer(api.ReviewRuleListOut(rules=[_out(r) for r in rules]))
