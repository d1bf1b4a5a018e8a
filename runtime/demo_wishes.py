"""The demo's micro-wish wall (微心愿) with a history: wishes residents posted themselves or
staff posted for them, most fulfilled and confirmed (with hours credited), some done and
awaiting the resident's confirmation, some held by a volunteer, one given back and claimed
by another, one withdrawn, and a few still open on the wall. The demo resident has one to
confirm and one open; the demo volunteer holds one. Seeded through the HTTP API as the rest
of the demo is, each write under its own idempotency key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from schemas.common import Role

Post = Callable[[Role, str, str, dict[str, Any] | None, str], Awaitable[dict[str, Any]]]

WISHES: tuple[tuple[str, str, str], ...] = (
    # (title, details, what happens: fulfilled | done | claimed | reclaimed | withdrawn | open)
    ("想要一台理疗仪", "腰腿疼，想在家里做理疗", "fulfilled"),
    ("修一下漏水的水龙头", "厨房水龙头一直滴水", "fulfilled"),
    ("买一副老花镜", "看不清药盒上的字", "fulfilled"),
    ("学用手机和孙子视频", "孙子在外地读书，想看看他", "fulfilled"),
    ("换个厕所的灯泡", "够不着，怕摔", "fulfilled"),
    ("一床厚棉被", "天冷了，被子太薄", "fulfilled"),
    ("帮忙写副春联", "", "fulfilled"),
    ("修好轮椅的刹车", "刹车松了，不敢出门", "done"),
    ("陪我去镇上理个发", "", "done"),
    ("读读报纸上的新闻", "眼睛不好，想听听外面的事", "claimed"),
    ("帮忙把院子里的柴劈了", "", "reclaimed"),
    ("订一份牛奶", "家里人已经订好了", "withdrawn"),
    ("想要一台收音机", "听戏用", "open"),
    ("教我用电饭煲预约", "", "open"),
    ("帮孙女辅导一次数学", "五年级，分数不会", "open"),
)
NOTES = ("已送到家，教会了怎么用", "换好了，试过不漏了", "配好了，试戴合适",
         "装好了视频软件，已经通过话", "换好了", "送去了一床新棉被", "写好贴上了",
         "修好了，试过刹得住", "陪着去理了发")
HOURS = (2.0, 1.0, 1.5, 2.0, 0.5, 1.0, 1.0, 1.5, 2.0)


async def seed_wishes(post: Post, staff_id: str, residents: Sequence[dict[str, object]],
                      volunteers: Sequence[str], demo_resident: str, demo_volunteer: str
                      ) -> None:
    """The wall of the district's county; `volunteers` claim in turn, so nobody holds more
    than the claim limit, and the demo resident's and volunteer's pages each have theirs."""
    others = [v for v in volunteers if v != demo_volunteer]
    posters = [str(r["resident_id"]) for r in residents if r["resident_id"] != demo_resident]
    areas = {str(r["resident_id"]): str(r["area"]) for r in residents}
    mine: set[str] = set()  # the fates the demo resident has a wish of
    for n, (title, details, fate) in enumerate(WISHES):
        resident = posters[n % len(posters)]
        if fate in ("done", "open") and fate not in mine:
            resident = demo_resident
            mine.add(fate)
        body: dict[str, Any] = {"title": title, "details": details, "area": areas[resident]}
        if n % 3:
            wish = await post(Role.RESIDENT, resident, "/api/v1/wishes", body, f"wish:{n}")
        else:
            wish = await post(Role.STAFF, staff_id, "/api/v1/wishes",
                              {**body, "resident_id": resident}, f"wish:{n}")
        path = f"/api/v1/wishes/{wish['wish_id']}"
        if fate == "withdrawn":
            await post(Role.RESIDENT, resident, path + "/withdraw", None, f"wish:{n}:withdraw")
        if fate in ("withdrawn", "open"):
            continue
        claimer = demo_volunteer if fate == "claimed" else others[n % len(others)]
        await post(Role.VOLUNTEER, claimer, path + "/claim", None, f"wish:{n}:claim")
        if fate == "reclaimed":
            await post(Role.VOLUNTEER, claimer, path + "/release", None, f"wish:{n}:release")
            claimer = others[(n + 1) % len(others)]
            await post(Role.VOLUNTEER, claimer, path + "/claim", None, f"wish:{n}:claim-again")
        if fate not in ("fulfilled", "done"):
            continue
        await post(Role.VOLUNTEER, claimer, path + "/fulfil",
                   {"note": NOTES[n], "hours": HOURS[n]}, f"wish:{n}:fulfil")
        if fate == "fulfilled":
            confirmer = ((Role.RESIDENT, resident) if n % 2 else (Role.STAFF, staff_id))
            await post(*confirmer, path + "/confirm", None, f"wish:{n}:confirm")
