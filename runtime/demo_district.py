"""A deterministic demo district: 北塔区 (Beita District) of 邵阳市, Hunan, county code 430511.

Why this exists: demos, browser tests and load scenarios need a district that looks like the
field (see the field notes): real place names and codes, the four locality levels the platform
dispatches on (county -> town/subdistrict -> village/community -> hamlet/estate), professional
county teams beside town, village and hamlet teams, a few hundred volunteers, the gifts of the
exchange counter, and elderly residents ordering the services seen in the field. Everything is
produced from a seeded ``random.Random(seed)`` with the standard library only, so the same seed
always gives the same district, and nothing here does I/O: callers POST the returned bodies to
``/api/v1/areas``, ``/teams``, ``/volunteers`` and ``/catalog`` (areas first, parents first).

Where the data comes from:

* Town/subdistrict codes and names are the official statistical division codes (统计用区划代码)
  of 430511 as published by the National Bureau of Statistics (2022 release, as mirrored by the
  public dataset modood/Administrative-divisions-of-China): 430511001 新滩镇街道,
  430511002 状元洲街道, 430511003 田江街道, 430511004 茶元头街道, 430511101 陈家桥镇.
* The communities of 状元洲街道 use their published 12-digit codes (北塔 001, 九江 002,
  资园 003, 状元 004, 观音庵 005, 柘木 010).
* The villages and communities of the other four towns could not be confirmed: their names are
  drawn from place names attested in the area (新渡, 白田, 马家, 枫林, 涟江, 望城坡, ...) or are of
  that style, and their codes are plausible ones following the national rule (001-199 for
  residents' committees, 200-399 for villagers' committees). Treat them as illustrative.
* Hamlets and housing estates (屋场/小区) have no official code; the platform's own 3-digit
  suffix is appended to the 12-digit code (e.g. 430511002003001). Their names are invented.
* Coordinates are approximate (around lat 27.23-27.30, lon 111.40-111.47), children placed near
  their parents; some hamlets deliberately have none.
* All personal names and phone numbers are generated: every phone number starts 1380739 (0739 is
  Shaoyang's area code) and belongs to nobody.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COUNTY_CODE = "430511"
COUNTY_NAME = "北塔区"
COUNTY_LATLON = (27.2620, 111.4400)
LAT_RANGE = (27.2300, 27.3000)
LON_RANGE = (111.4000, 111.4700)

# (official 9-digit code, name, approximate lat, lon)
TOWNS: tuple[tuple[str, str, float, float], ...] = (
    ("430511001", "新滩镇街道", 27.2470, 111.4300),
    ("430511002", "状元洲街道", 27.2500, 111.4560),
    ("430511003", "田江街道", 27.2660, 111.4600),
    ("430511004", "茶元头街道", 27.2560, 111.4100),
    ("430511101", "陈家桥镇", 27.2860, 111.4380),
)

# (12-digit code, name); parents are the first 9 digits.
VILLAGES: tuple[tuple[str, str], ...] = (
    ("430511001001", "新渡社区"),
    ("430511001002", "新滩社区"),
    ("430511001003", "江北社区"),
    ("430511001201", "桂花村"),
    ("430511001202", "长乐村"),
    ("430511002001", "北塔社区"),
    ("430511002002", "九江社区"),
    ("430511002003", "资园社区"),
    ("430511002004", "状元社区"),
    ("430511002005", "观音庵社区"),
    ("430511002010", "柘木社区"),
    ("430511003001", "田江社区"),
    ("430511003002", "资田社区"),
    ("430511003003", "石桥社区"),
    ("430511003201", "田江村"),
    ("430511003202", "檀木村"),
    ("430511004001", "兴隆社区"),
    ("430511004002", "茶元头社区"),
    ("430511004201", "白田村"),
    ("430511004202", "马家村"),
    ("430511004203", "枫林村"),
    ("430511004204", "涟江村"),
    ("430511101001", "陈家桥社区"),
    ("430511101002", "望城坡社区"),
    ("430511101201", "田庄村"),
    ("430511101202", "李子塘村"),
    ("430511101203", "万岁庙村"),
)

ESTATE_NAMES: tuple[str, ...] = (
    "资江花园小区", "江北新城小区", "状元府小区", "滨江苑小区", "金桂园小区", "锦绣华庭小区",
    "宝庆家园小区", "北塔名苑小区", "棉纺厂宿舍小区", "文昌苑小区", "翠竹苑小区", "和谐家园小区",
    "阳光城小区", "南湖苑小区", "邮电新村小区", "魏源新村小区",
)
HAMLET_NAMES: tuple[str, ...] = (
    "王家屋场", "刘家冲屋场", "塘边屋场", "大屋场", "枫树湾屋场", "石板冲屋场", "李家院子屋场",
    "竹山湾屋场", "高岭屋场", "新屋场", "罗家坳屋场", "杨柳塘屋场", "周家湾屋场", "黄泥冲屋场",
    "茶山屋场", "百合坡屋场",
)
STREET_NAMES: tuple[str, ...] = (
    "蔡锷路", "魏源路", "资江北路", "江北大道", "新滩路", "宝庆西路", "北塔路", "状元路",
)

# County-level professional teams: (name, service types). Together they offer every service
# type except ``other`` across the whole county, so any request can be matched.
COUNTY_TEAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("北塔区理论宣讲志愿服务队", ("outreach", "civility")),
    ("北塔区文化体育志愿服务队", ("outreach", "companionship")),
    ("北塔区教育助学志愿服务队", ("tutoring",)),
    ("北塔区帮扶救助志愿服务队", ("groceries", "meal_delivery", "cleaning", "repair")),
    ("北塔区法律咨询志愿服务队", ("legal_aid",)),
    ("北塔区心理疏导志愿服务队", ("psych_support", "companionship")),
    ("北塔区医疗卫生志愿服务队", ("health_check", "escort")),
    ("北塔区巾帼助老志愿服务队", ("bathing", "cleaning", "companionship")),
)
# Two teams per town: (name suffix, service types).
TOWN_TEAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("巾帼志愿服务队", ("groceries", "cleaning", "companionship")),
    ("党员先锋志愿服务队", ("groceries", "meal_delivery", "repair", "civility")),
)
# Village/community teams: (12-digit code, name suffix, service types).
VILLAGE_TEAMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("430511002003", "夕阳红助老服务队", ("meal_delivery", "companionship", "cleaning")),
    ("430511002001", "邻里守望志愿服务队", ("groceries", "escort")),
    ("430511002005", "红马甲文明劝导队", ("civility", "cleaning")),
    ("430511001001", "夕阳红助老服务队", ("meal_delivery", "companionship")),
    ("430511001201", "爱心助浴志愿服务队", ("bathing", "cleaning")),
    ("430511003001", "邻里守望志愿服务队", ("groceries", "escort", "companionship")),
    ("430511004202", "乡贤助学志愿服务队", ("tutoring", "outreach")),
    ("430511004201", "健康守护志愿服务队", ("health_check", "companionship")),
    ("430511101001", "夕阳红助老服务队", ("meal_delivery", "bathing", "companionship")),
    ("430511101201", "百合之乡志愿服务队", ("groceries", "repair", "civility")),
)
# Hamlet/estate teams: (12-digit village code, hamlet number, name suffix, service types).
# Every village gets at least two hamlets, so numbers 1 and 2 always exist.
HAMLET_TEAMS: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("430511002003", 1, "楼栋长志愿服务队", ("groceries", "companionship")),
    ("430511101201", 2, "互助志愿服务队", ("groceries", "escort", "repair")),
)

# (item_id, name, points, lowest stock, highest stock)
GIFTS: tuple[tuple[str, str, int, int, int], ...] = (
    ("towel", "毛巾", 5, 60, 100),
    ("toothpaste", "牙膏", 8, 50, 100),
    ("laundry_detergent", "洗衣液", 15, 40, 80),
    ("vacuum_flask", "保温杯", 30, 20, 60),
    ("cooking_oil", "食用油(5升)", 40, 20, 50),
    ("electric_kettle", "电热水壶", 60, 10, 30),
    ("electric_blanket", "电热毯", 80, 10, 30),
)

SURNAMES: tuple[str, ...] = (
    "刘", "刘", "王", "王", "李", "李", "张", "张", "陈", "陈", "杨", "周", "罗", "曾", "谢",
    "唐", "邓", "黄", "彭", "肖", "蒋", "贺", "胡", "石", "申", "袁", "邹", "龙", "段", "姚",
    "伍", "朱", "吕", "赵", "孙", "钟",
)
GIVEN_CHARS: tuple[str, ...] = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "红", "华", "文", "斌", "辉", "鹏", "婷", "雪",
    "琴", "丹", "波", "宇", "浩", "玲", "欣", "怡", "嘉", "子", "思", "雨", "晨", "建", "志",
    "湘", "邵", "宝", "德", "春",
)
ELDER_GIVEN_NAMES: tuple[str, ...] = (
    "秀英", "桂兰", "玉华", "淑珍", "德明", "建国", "国华", "春生", "冬梅", "满秀", "运生",
    "爱莲", "菊香", "福生", "金莲", "桂英", "凤姣", "长庚", "新华", "炳炎", "月娥", "四妹",
)

# Sample orders: (service type, urgency, details; "{age}" is filled in).
REQUEST_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("groceries", "urgent", "居家隔离中,{age}岁,请帮忙代买大米、青菜和鸡蛋,放在门口即可"),
    ("bathing", "normal", "{age}岁独居老人,腿脚不便,想请志愿者上门助浴"),
    ("cleaning", "normal", "老两口都{age}岁了,行动不便,家里需要打扫卫生、擦窗户"),
    ("meal_delivery", "normal", "{age}岁,做饭困难,每天中午送一份午餐,少盐少油"),
    ("companionship", "normal", "{age}岁,子女在外打工,想有人上门陪着聊聊天、读读报"),
    ("health_check", "urgent", "{age}岁,这两天头晕,请上门量血压,并帮忙整理每天要吃的药"),
    ("repair", "normal", "{age}岁独居,家里电热水壶和电灯坏了,请帮忙修理"),
    ("escort", "urgent", "{age}岁,明天上午去市中心医院复查,需要有人陪同"),
    ("tutoring", "normal", "孙子上四年级,奶奶{age}岁辅导不了,周末想请志愿者辅导数学作业"),
    ("legal_aid", "normal", "{age}岁,想咨询赡养费纠纷怎么维权"),
    ("psych_support", "normal", "{age}岁,老伴去世后情绪低落,晚上睡不着,想找人谈谈"),
    ("civility", "normal", "楼道里堆满杂物,{age}岁老人出入不便,请文明劝导"),
)


@dataclass(frozen=True)
class DemoDistrict:
    """Request bodies for seeding the platform, plus sample residents and their orders."""

    areas: list[dict[str, object]]
    teams: list[dict[str, object]]
    volunteers: list[dict[str, object]]
    catalog: list[dict[str, object]]
    residents: list[dict[str, object]]
    sample_requests: list[dict[str, object]]


def build_demo_district(seed: int = 511) -> DemoDistrict:
    """Build the demo district of 北塔区; the same seed always gives the same district."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography

    def near(lat: float, lon: float, spread: float) -> tuple[float, float]:
        new_lat = min(max(lat + rng.uniform(-spread, spread), LAT_RANGE[0]), LAT_RANGE[1])
        new_lon = min(max(lon + rng.uniform(-spread, spread), LON_RANGE[0]), LON_RANGE[1])
        return round(new_lat, 6), round(new_lon, 6)

    used_names: set[str] = set()

    def person_name(elder: bool) -> str:
        while True:
            surname = rng.choice(SURNAMES)
            if elder:
                given = rng.choice(ELDER_GIVEN_NAMES)
            elif rng.random() < 0.3:
                given = rng.choice(GIVEN_CHARS)
            else:
                given = rng.choice(GIVEN_CHARS) + rng.choice(GIVEN_CHARS)
            name = surname + given
            if name not in used_names:
                used_names.add(name)
                return name

    # --- areas: county, then each town followed by its villages and their hamlets ---
    names: dict[str, str] = {COUNTY_CODE: COUNTY_NAME}
    hamlets_of: dict[str, list[str]] = {}
    areas: list[dict[str, object]] = [
        {"code": COUNTY_CODE, "name": COUNTY_NAME,
         "lat": COUNTY_LATLON[0], "lon": COUNTY_LATLON[1]},
    ]
    for town_code, town_name, town_lat, town_lon in TOWNS:
        names[town_code] = town_name
        areas.append({"code": town_code, "name": town_name, "lat": town_lat, "lon": town_lon})
        for village_code, village_name in VILLAGES:
            if village_code[:9] != town_code:
                continue
            names[village_code] = village_name
            v_lat, v_lon = near(town_lat, town_lon, 0.006)
            areas.append({"code": village_code, "name": village_name, "lat": v_lat, "lon": v_lon})
            pool = ESTATE_NAMES if village_name.endswith("社区") else HAMLET_NAMES
            hamlet_codes: list[str] = []
            for number, hamlet_name in enumerate(rng.sample(pool, rng.randint(2, 4)), start=1):
                hamlet_code = f"{village_code}{number:03d}"
                names[hamlet_code] = hamlet_name
                hamlet_codes.append(hamlet_code)
                hamlet: dict[str, object] = {"code": hamlet_code, "name": hamlet_name}
                if rng.random() >= 0.15:
                    hamlet["lat"], hamlet["lon"] = near(v_lat, v_lon, 0.0025)
                areas.append(hamlet)
            hamlets_of[village_code] = hamlet_codes

    # --- teams: county professionals, two per town, village teams, hamlet teams ---
    team_specs: list[tuple[str, str, tuple[str, ...], int, int]] = []  # name, area, types, cap, w
    for name, types in COUNTY_TEAMS:
        team_specs.append((name, COUNTY_CODE, types, rng.randint(8, 12), 4))
    for town_code, town_name, _, _ in TOWNS:
        for suffix, types in TOWN_TEAMS:
            team_specs.append((town_name + suffix, town_code, types, rng.randint(5, 10), 3))
    for village_code, suffix, types in VILLAGE_TEAMS:
        team_specs.append((names[village_code] + suffix, village_code, types,
                           rng.randint(3, 8), 2))
    for village_code, number, suffix, types in HAMLET_TEAMS:
        hamlet_code = hamlets_of[village_code][number - 1]
        team_specs.append((names[village_code] + names[hamlet_code] + suffix, hamlet_code,
                           types, rng.randint(3, 5), 1))

    teams: list[dict[str, object]] = []
    for index, (name, area, types, capacity, _) in enumerate(team_specs, start=1):
        teams.append({
            "team_id": f"T{index:03d}",
            "name": name,
            "leader_id": f"L{index:03d}",
            "service_types": list(types),
            "areas": [area],
            "capacity": capacity,
        })

    # --- volunteers: at least five per team, the rest weighted towards larger teams ---
    total = rng.randint(320, 380)
    sizes = [5] * len(teams)
    weights = [spec[4] for spec in team_specs]
    for pick in rng.choices(range(len(teams)), weights=weights, k=total - sum(sizes)):
        sizes[pick] += 1
    volunteers: list[dict[str, object]] = []
    for team, size in zip(teams, sizes, strict=True):
        for _ in range(size):
            volunteers.append({
                "volunteer_id": f"V{len(volunteers) + 1:04d}",
                "name": person_name(elder=False),
                "team_id": team["team_id"],
            })

    # --- catalog: the gifts at the exchange counter ---
    catalog: list[dict[str, object]] = [
        {"item_id": item_id, "name": name, "points": points, "stock": rng.randint(low, high)}
        for item_id, name, points, low, high in GIFTS
    ]

    # --- residents: mostly at a hamlet or estate, a few registered at village level ---
    all_hamlets = [code for codes in hamlets_of.values() for code in codes]
    homes = rng.sample(all_hamlets, 16) + rng.sample(sorted(hamlets_of), 4)
    rng.shuffle(homes)
    used_phones: set[str] = set()
    residents: list[dict[str, object]] = []
    for index, home in enumerate(homes, start=1):
        village = home[:12]
        prefix = f"邵阳市{COUNTY_NAME}{names[home[:9]]}{names[village]}"
        is_community = names[village].endswith("社区")
        if len(home) == 15 and is_community:
            address = (f"{prefix}{names[home]}{rng.randint(1, 18)}栋{rng.randint(1, 4)}单元"
                       f"{rng.randint(1, 7)}0{rng.randint(1, 4)}室")
        elif len(home) == 15:
            address = f"{prefix}{names[home]}{rng.randint(1, 60)}号"
        elif is_community:
            address = f"{prefix}{rng.choice(STREET_NAMES)}{rng.randint(1, 300)}号"
        else:
            address = f"{prefix}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
        while True:
            phone = f"1380739{rng.randint(0, 9999):04d}"
            if phone not in used_phones:
                used_phones.add(phone)
                break
        residents.append({
            "resident_id": f"R{index:03d}",
            "name": person_name(elder=rng.random() < 0.8),
            "phone": phone,
            "area": home,
            "address": address,
        })

    # --- sample orders: one per template, by the first residents ---
    sample_requests: list[dict[str, object]] = []
    for resident, (service_type, urgency, details) in zip(
        residents, REQUEST_TEMPLATES, strict=False
    ):
        sample_requests.append({
            "resident_id": resident["resident_id"],
            "service_type": service_type,
            "area": resident["area"],
            "address": resident["address"],
            "details": details.format(age=rng.randint(62, 91)),
            "urgency": urgency,
        })

    return DemoDistrict(
        areas=areas,
        teams=teams,
        volunteers=volunteers,
        catalog=catalog,
        residents=residents,
        sample_requests=sample_requests,
    )
