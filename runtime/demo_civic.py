"""The demo's village points supermarket (积分超市): 桂花村's households, its civic rules, last
month's scores (a month is scored during it and the next, so last month is still open), its
supermarket kiosk and the goods on its shelf. Seeded through the HTTP API as the rest of the
demo is, each write under its own idempotency key."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from households.rules import month_of, previous_month

VILLAGE = "430511001201"
KIOSK_ID = "K-GUIHUA-SHOP"
RULES = (("GH-hygiene", "庭院整洁", 10), ("GH-civility", "文明乡风", 5),
         ("GH-helping", "邻里互助", 8), ("GH-filial", "孝老爱亲", 7))
HEADS = ("杨德明", "吴桂花", "龙建国", "石秀英", "田家旺", "麻春兰", "向志强", "彭玉梅")
MEMBERS = ("吴秀英", "杨小军", "龙小燕", "石磊", "田甜", "麻成", "向阳", "彭丽")
GOODS = (("GH-oil", "菜籽油 5L", 30, 12), ("GH-rice", "大米 10kg", 25, 20),
         ("GH-soap", "洗衣皂 4 块", 6, 40), ("GH-towel", "毛巾", 4, 50))
REASONS = {"GH-hygiene": "门前屋后干净整齐", "GH-civility": "红白喜事简办",
           "GH-helping": "帮邻居抢收稻谷", "GH-filial": "照顾卧床老人"}

Post = Callable[[str, dict[str, Any] | None, str], Awaitable[Any]]


async def seed_village(post: Post, now: datetime) -> None:
    """Eight households of the village, four rules, last month scored for each, and the
    kiosk's shelf; the scores are drawn from a generator of their own."""
    rng = random.Random("civic:430511001201")  # noqa: S311 - demo data, not cryptography
    for rule_id, name, points_max in RULES:
        await post("/api/v1/civic-rules", {"rule_id": rule_id, "area": VILLAGE, "name": name,
                                           "points_max": points_max}, f"rule:{rule_id}")
    month = previous_month(month_of(now))
    for n, head in enumerate(HEADS, start=1):
        household_id = f"GH-{n:03d}"
        await post("/api/v1/households", {
            "household_id": household_id, "area": VILLAGE, "head_name": head,
            "members": [MEMBERS[n - 1]]}, f"household:{household_id}")
        items = [{"rule_id": rule_id, "points": rng.randint(points_max // 2, points_max),
                  "reason": REASONS[rule_id]} for rule_id, _, points_max in RULES]
        await post(f"/api/v1/households/{household_id}/scores",
                   {"month": month, "items": items}, f"scores:{household_id}:{month}")
    await post("/api/v1/kiosks", {"kiosk_id": KIOSK_ID, "name": "桂花村积分超市",
                                  "area": VILLAGE}, f"kiosk:{KIOSK_ID}")
    for item_id, name, points, stock in GOODS:
        await post("/api/v1/catalog", {"item_id": item_id, "name": name, "points": points,
                                       "stock": stock, "kind": "civic", "kiosk_id": KIOSK_ID},
                   f"civic-good:{item_id}")
