"""The catalog (DESIGN §5, §11): gifts for volunteers' service points, shared by every kiosk,
and the goods of each village supermarket's kiosk for households' civic points, each with
that kiosk's own stock. The two never mix: a gift is bought with service points at any
kiosk, a civic good with civic points at its own kiosk."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import ApiError
from gateway.http import Call, answer, execute
from gateway.people import kiosk_in_scope
from gateway.routes import COMMAND_ERRORS, _result, route
from schemas import api
from schemas import commands as cmd
from schemas import households as h
from schemas.common import Identifier, Role, county_of
from schemas.households import CivicItemView

KINDS = ("service", "civic")


def _civic_out(item: CivicItemView) -> api.CatalogItemOut:
    return api.CatalogItemOut(item_id=item.item_id, name=item.name, points=item.points,
                              stock=item.stock, kind="civic", kiosk_id=item.kiosk_id,
                              area=item.area)


async def _stock_civic(call: Call, body: api.CatalogIn, kiosk_id: Identifier
                       ) -> web.StreamResponse:
    try:
        _, _, area = await kiosk_in_scope(call, kiosk_id)
    except ApiError as e:
        raise ApiError(422, "unknown_kiosk", f"no kiosk {kiosk_id} in your scope",
                       {"field": "kiosk_id"}) from e
    county = county_of(area)
    out = _result(await execute(call, h.StockCivicItem(
        **call.envelope(), county=county, item_id=body.item_id, kiosk_id=kiosk_id,
        area=area, name=body.name, points=body.points, stock=body.stock)))
    if isinstance(out, web.Response):
        return out
    item = next(i for i in await call.views.civic_items([county]) if i.item_id == body.item_id)
    return answer(_civic_out(item), 201)


@route("POST", "/api/v1/catalog", "Add a gift, or restock one (same id: more stock). A gift "
       "(`kind: service`, the default) is for volunteers' service points at every kiosk: the "
       "catalog of gifts names no area, so staff of every scope keep it, and `kiosk_id` is "
       "422 kiosk_not_allowed. A civic good (`kind: civic`) belongs to one village "
       "supermarket's kiosk (`kiosk_id`, required: 422 kiosk_required; a kiosk outside the "
       "caller's scope or never registered is 422 unknown_kiosk) with its own stock, for "
       "households' civic points; its id is one kiosk's (409 item_exists on another's)",
       roles=(Role.STAFF,), body=api.CatalogIn, answer=api.CatalogItemOut, status=201,
       errors=COMMAND_ERRORS, tag="points")
async def stock_catalog_item(call: Call) -> web.StreamResponse:
    body: api.CatalogIn = call.body
    if body.kind == "civic":
        if body.kiosk_id is None:
            raise ApiError(422, "kiosk_required", "a civic good belongs to one kiosk: name it",
                           {"field": "kiosk_id"})
        return await _stock_civic(call, body, body.kiosk_id)
    if body.kiosk_id is not None:
        raise ApiError(422, "kiosk_not_allowed", "a gift is shared by every kiosk",
                       {"field": "kiosk_id"})
    command = cmd.StockCatalogItem(**call.envelope(), item_id=body.item_id, name=body.name,
                                   points=body.points, stock=body.stock)
    out = _result(await execute(call, command))
    if isinstance(out, web.Response):
        return out
    return answer(api.CatalogItemOut(item_id=out["item_id"], name=out["name"],
                                     points=out["points"], stock=out["stock"]), 201)


@route("GET", "/api/v1/catalog", "Gifts with their point cost and stock. `kind=civic` lists "
       "the village supermarkets' goods instead: a kiosk's own shelf, or for staff the goods "
       "of the kiosks in their scope (`kiosk_id` narrows it); volunteers have no civic "
       "goods (403 forbidden)",
       roles=(Role.KIOSK, Role.VOLUNTEER, Role.STAFF), answer=api.CatalogOut,
       errors=(400, 401, 403), tag="points",
       query=(("kind", "service (default) or civic"),
              ("kiosk_id", "staff, civic goods: one kiosk's")))
async def list_catalog(call: Call) -> web.StreamResponse:
    kind = call.request.query.get("kind", "service")
    if kind not in KINDS:
        raise ApiError(400, "bad_kind", "kind must be service or civic")
    if kind == "service":
        return answer(api.CatalogOut(items=[api.CatalogItemOut(**i.model_dump())
                                            for i in await call.views.catalog()]))
    who = call.who
    if who.role is Role.VOLUNTEER:
        raise ApiError(403, "forbidden", "civic goods are exchanged by households")
    counties = None if who.scope is None else [county_of(who.scope)]
    items = await call.views.civic_items(counties)
    if who.role is Role.KIOSK:
        items = [i for i in items if i.kiosk_id == who.subject]
    else:
        wanted = call.request.query.get("kiosk_id")
        items = [i for i in items if call.sees(i.area) and wanted in (None, i.kiosk_id)]
    return answer(api.CatalogOut(items=[_civic_out(i) for i in items]))

