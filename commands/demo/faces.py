"""Plausible face data for the demo city: Chinese names, companies and addresses in 常熟.

Values come from Faker's zh_CN locale, seeded, so one seed gives one city (with a given
Faker version). Faker is slow next to the rest of a command (tens of µs a call), so a pool
of names is drawn once per seed and licences pick from it with the scenario's own random
stream: a million licences cost no more than a thousand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

POOL = 256
ENTITY_TYPES = ["有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）",
                "股份有限公司（非上市）", "个人独资企业", "有限合伙企业"]
SCOPES = [
    "许可项目：食品销售；道路货物运输（不含危险货物）。（依法须经批准的项目，经相关部门批准后方可"
    "开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）",
    "一般项目：纺织品、针织品及原料销售；服装服饰批发；服装服饰零售；面料印染加工；技术服务、技术"
    "开发、技术咨询、技术交流、技术转让、技术推广（除依法须经批准的项目外，凭营业执照依法自主开展"
    "经营活动）",
    "一般项目：软件开发；信息系统集成服务；计算机软硬件及辅助设备零售；网络技术服务（除依法须经批准"
    "的项目外，凭营业执照依法自主开展经营活动）",
    "一般项目：机械零件、零部件加工；通用设备制造（不含特种设备制造）；五金产品批发；金属材料销售",
]


@dataclass(frozen=True)
class Pools:
    companies: list[str]
    people: list[str]
    streets: list[str]


def make_pools(seed: int) -> Pools:
    from faker import Faker  # imported here: only scenarios need it

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    companies = sorted({f"常熟{fake.company_prefix()}{fake.company_suffix()}"
                        for _ in range(POOL)})
    return Pools(companies, [fake.name() for _ in range(POOL)],
                 sorted({fake.street_name() for _ in range(POOL // 4)}))


def address(pools: Pools, rng: random.Random) -> str:
    return f"江苏省常熟市{rng.choice(pools.streets)}{rng.randrange(1, 400)}号"


def business_licence_face(pools: Pools, rng: random.Random, company: str, uscc: str,
                          start: str) -> dict[str, Any]:
    capital = rng.choice([50, 100, 200, 300, 500, 1000, 2000, 5000])
    return {"company_name": company, "uscc": uscc, "entity_type": rng.choice(ENTITY_TYPES),
            "legal_representative": rng.choice(pools.people),
            "registered_capital": f"{capital}万元整", "established": start,
            "address": address(pools, rng), "business_scope": rng.choice(SCOPES)}


def face_for(type_name: str, pools: Pools, rng: random.Random, holder: dict[str, str],
             start: str, index: int, codes: list[str]) -> dict[str, Any]:
    """The face of one licence of the demo's four types."""
    if type_name == "营业执照":
        return business_licence_face(pools, rng, holder["name"], holder["code"], start)
    if type_name == "食品经营许可证":
        return {"operator_name": holder["name"], "legal_representative":
                rng.choice(pools.people), "premises": address(pools, rng),
                "main_business": rng.choice(["预包装食品销售（含冷藏冷冻食品）", "热食类食品制售",
                                             "散装食品销售（不含散装熟食）", "餐饮服务"])}
    if type_name == "医师执业证书":
        return {"practice_category": codes[index % len(codes)],
                "practice_site": f"常熟市{rng.choice(['第一', '第二', '中医', '妇幼保健'])}医院",
                "practice_scope": rng.choice(["内科专业", "外科专业", "儿科专业", "全科医学专业"])}
    return {"vehicle_plate": f"苏E{rng.choice('ABCDF')}{rng.randrange(10000, 99999)}",
            "operator_name": holder["name"], "vehicle_type": rng.choice(
                ["重型厢式货车", "中型普通客车", "轻型厢式货车"]), "address": address(pools, rng)}
