"""A realistic city, as signed commands: departments, keys, catalogue, licences, lifecycle.

Used by ``ledger demo`` and ``ledger loadgen`` and by the tests. Deterministic for a seed:
keys are derived from the seed, so the same seed gives the same stream of commands
(apart from ``issued_at`` and the command ids, which come from ``clock`` and ``ids``).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from commands.demo.faces import face_for, make_pools
from commands.signed.envelope import sign_envelope
from ledger.domain.identifiers import make_citizen_id, make_licence_identifier, make_uscc
from ledger.integrity.signing import SigningKey, b64encode

AREA = "320581"  # 常熟市


def derived_key(seed: int, name: str) -> SigningKey:
    return SigningKey("ed25519", hashlib.sha256(f"ledger-scenario:{seed}:{name}".encode()).digest())


def org_code(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))


@dataclass
class Dept:
    name: str
    code: str
    roles: tuple[str, ...]
    key: SigningKey


@dataclass
class City:
    seed: int
    management: Dept
    issuers: dict[str, Dept]
    users: list[Dept]
    types: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def departments(self) -> list[Dept]:
        return [self.management, *self.issuers.values(), *self.users]


def make_city(seed: int) -> City:
    rng = random.Random(seed)

    def dept(name: str, roles: tuple[str, ...], prefix: str) -> Dept:
        return Dept(name, make_uscc(prefix, org_code(rng)), roles, derived_key(seed, name))

    city = City(
        seed,
        dept("常熟市行政审批局", ("management",), "11320581"),
        {
            "market": dept("常熟市市场监督管理局", ("issuing", "using"), "11320581"),
            "health": dept("常熟市卫生健康委员会", ("issuing",), "11320581"),
            "transport": dept("常熟市交通运输局", ("issuing", "using"), "11320581"),
        },
        [dept("常熟市税务局", ("using",), "11320581"),
         dept("常熟市人力资源和社会保障局", ("using",), "11320581"),
         dept("常熟市政务服务平台", ("platform",), "12320581")],
    )
    m, h, t = (city.issuers[k].code for k in ("market", "health", "transport"))
    authority = city.management.code
    city.types = {
        f"{authority}001": _type("营业执照", "执照", [m], "legal_entity", "public", False,
                                 {"max_years": None, "open_ended": True}, [
                                     ("company_name", "string", True),
                                     ("uscc", "string", False),
                                     ("entity_type", "string", False),
                                     ("legal_representative", "string", True),
                                     ("registered_capital", "string", False),
                                     ("established", "date", False),
                                     ("address", "string", False),
                                     ("business_scope", "string", False)],
                                 ["company_name", "legal_representative"]),
        f"{authority}002": _type("食品经营许可证", "证件", [m], "legal_entity", "public", True,
                                 {"max_years": 5, "open_ended": False}, [
                                     ("operator_name", "string", True),
                                     ("legal_representative", "string",
                                      False),
                                     ("premises", "string", True),
                                     ("main_business", "string", False)],
                                 ["operator_name"]),
        f"{authority}003": _type("医师执业证书", "证件", [h], "natural_person",
                                 "personal_or_secret", False,
                                 {"max_years": None, "open_ended": True}, [
                                     ("practice_category", "code", True),
                                     ("practice_site", "string", True),
                                     ("practice_scope", "string", False)], []),
        f"{authority}004": _type("道路运输证", "牌照", [t], "legal_entity", "restricted", True,
                                 {"max_years": 4, "open_ended": False}, [
                                     ("vehicle_plate", "string", True),
                                     ("operator_name", "string", False),
                                     ("vehicle_type", "string", False),
                                     ("address", "string", False)], []),
    }
    return city


def _type(name: str, category: str, issuers: list[str], holder_category: str, disclosure: str,
          multiple: bool, validity: dict[str, Any], fields: list[tuple[str, str, bool]],
          public_fields: list[str]) -> dict[str, Any]:
    # Field names are the keys commands carry; the face template prints them in Chinese
    # (licence_files/labels.py).
    face = [{"name": n, "type": t, "required": r} for n, t, r in fields]
    for f in face:
        if f["type"] == "code":
            f["codes"] = ["临床", "口腔", "公共卫生", "中医"]
    return {
        "name": name, "category": category, "defining_authority": "常熟市行政审批局",
        "issuers": issuers, "holder_category": holder_category, "face_fields": face,
        "validity": validity, "template": {"id": f"tpl-{name}", "version": 1},
        "disclosure": disclosure, "multiple_per_holder": multiple,
        "scenarios": ["MATTER-001", "MATTER-002"], "public_fields": public_fields,
    }


class Scenario:
    """Generates signed envelopes for a city; ``issued_at`` comes from ``clock``."""

    def __init__(self, seed: int, clock: Callable[[], str],
                 ids: Callable[[], str] | None = None) -> None:
        self.city = make_city(seed)
        self.rng = random.Random(seed * 7919 + 1)
        self.clock = clock
        self.ids = ids or (lambda: str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.issued: list[dict[str, Any]] = []  # live licences: identifier, type, issuer, ...
        self.pools = make_pools(seed)
        # Face data draws from a stream of its own, so the lifecycle's draws (dates, rolls,
        # codes) are the ones they were before faces became realistic.
        self.face_rng = random.Random(seed * 7919 + 2)
        # Commands meant to be refused, by command id, with the code they must get.
        self.expected_refusals: dict[str, str] = {}
        self.functional_grants: dict[str, str] = {}  # using department -> its grant id

    def sign(self, actor: Dept, command_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        return sign_envelope(actor.key, command_type=command_type, actor=actor.code,
                             payload=payload, issued_at=self.clock(), command_id=self.ids())

    def setup(self) -> Iterator[dict[str, Any]]:
        city, mgmt = self.city, self.city.management
        for d in city.departments:
            yield self.sign(mgmt if d is not mgmt else d, "RegisterDepartment", {
                "code": d.code, "name": d.name, "roles": list(d.roles), "area_code": AREA,
                "public_key": b64encode(d.key.public_key)})
        for type_code, definition in city.types.items():
            yield self.sign(mgmt, "RegisterLicenceType",
                            {"type_code": type_code, "definition": definition})
        for user in self.using_departments:
            yield self.sign(user, "SetUsageList", {"code": user.code, "entries": [
                {"type_code": t, "scenarios": ["MATTER-001"]} for t in city.types]})

    @property
    def using_departments(self) -> list[Dept]:
        return [d for d in self.city.users if "using" in d.roles]

    @property
    def platform(self) -> Dept:
        return next(d for d in self.city.users if "platform" in d.roles)

    def issue(self, n: int) -> Iterator[dict[str, Any]]:
        codes = list(self.city.types)
        for i in range(n):
            type_code = codes[i % len(codes)]
            yield self._issue_one(type_code, len(self.issued))

    def _issue_one(self, type_code: str, index: int) -> dict[str, Any]:
        rng, definition = self.rng, self.city.types[type_code]
        issuer = next(d for d in self.city.issuers.values()
                      if d.code == definition["issuers"][0])
        serial = f"{self.city.seed % 1000:03d}{index:08d}"
        start = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 2850))
        years = definition["validity"]["max_years"]
        until = None if years is None else (start + timedelta(days=365 * years - 1)).isoformat()
        if definition["holder_category"] == "natural_person":
            birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 14000))
            code = make_citizen_id(AREA, birth.strftime("%Y%m%d"), f"{index % 1000:03d}")
            holder = {"name": self.face_rng.choice(self.pools.people), "code_type": "111",
                      "code": code}
        else:
            holder = {"name": self.face_rng.choice(self.pools.companies), "code_type": "001",
                      "code": make_uscc("91320581", org_code(rng))}
        codes: list[str] = next((f["codes"] for f in definition["face_fields"]
                                 if f["type"] == "code"), [])
        face = face_for(definition["name"], self.pools, self.face_rng, holder, start.isoformat(),
                        index, codes)
        payload = {
            "type_code": type_code, "serial": serial,
            "licence_number": f"{definition['name'][:2]}（{start.year}）{index:07d}",
            "holders": [holder], "issue_date": start.isoformat(),
            "valid_from": start.isoformat(), "valid_until": until, "area_code": AREA,
            "face": face, "matter_code": "MATTER-001", "case_number": f"CASE-{index:08d}",
            "paper_number": f"P{index:08d}" if index % 3 == 0 else None,
        }
        ident = str(make_licence_identifier(type_code, issuer.code, serial, 1))
        self.issued.append({"identifier": ident, "issuer": issuer, "until": until,
                            "type_code": type_code, "status": "01",
                            "holder": holder["code"], "period": start.strftime("%Y-%m")})
        return self.sign(issuer, "IssueLicence", payload)

    def holder_of(self, identifier: str) -> str:
        prefix = identifier.rsplit(".", 2)[0]
        return str(next(lic["holder"] for lic in self.issued
                        if lic["identifier"].rsplit(".", 2)[0] == prefix))

    def lifecycle(self, today: date) -> Iterator[dict[str, Any]]:
        """Change, suspend, cancel, revoke, expire and transfer a share of the licences."""
        for lic in self.issued:
            roll = self.rng.random()
            ident, issuer = lic["identifier"], lic["issuer"]
            if lic["until"] is not None and lic["until"] < today.isoformat():
                yield self._status(lic, "ExpireLicence", "05", {
                    "reason": "validity ended", "as_of": today.isoformat()})
            elif roll < 0.10:
                yield self.sign(issuer, "ChangeLicence", {
                    "identifier": ident, "kind": "change", "reason": "holder moved premises",
                    "changes": {"case_number": f"CHG-{ident[-14:]}"}})
                lic["identifier"] = _next(ident)
            elif roll < 0.15:
                yield self._status(lic, "SuspendLicence", "02", {"reason": "inspection pending"})
                if self.rng.random() < 0.5:
                    yield self._status(lic, "EndSuspension", "01",
                                       {"reason": "inspection passed"})
            elif roll < 0.18:
                yield self._status(lic, "CancelLicence", "04", {
                    "reason": "business closed", "issued_in_error": roll < 0.16})
            elif roll < 0.20:
                yield self._status(lic, "RevokeLicence", "03", {"reason": "obtained by deception"})
            elif roll < 0.21:
                yield self._status(lic, "PenaltyRevokeLicence", "07",
                                   {"reason": "serious violation"})
            elif roll < 0.22:
                yield self._status(lic, "TransferLicenceOut", "06", {
                    "reason": "holder moved", "destination": "320500"})

    def _status(self, lic: dict[str, Any], command_type: str, status: str,
                payload: dict[str, Any]) -> dict[str, Any]:
        lic["status"] = status
        return self.sign(lic["issuer"], command_type, {"identifier": lic["identifier"], **payload})


def _next(identifier: str) -> str:
    parts = identifier.split(".")
    return str(make_licence_identifier(parts[5], parts[6], parts[7], int(parts[8]) + 1))
