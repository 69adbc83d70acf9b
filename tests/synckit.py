"""Sites for sync tests: a data folder with a station code, an HQ app, stations joined to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from fieldreg import create_app, syncing
from fieldreg.db import connect, prepare


def make_site(path, code: str):
    """Prepare a data folder with a given station code; return its connection."""
    db = connect(prepare(path))
    db.execute("update settings set value = ? where key = 'station_code'", [code])
    return db


def make_hq(path: Path, code: str = "HQ2"):
    """Prepare an HQ data folder; return its app and a connection to its database."""
    make_site(path, code).close()
    app = create_app({"DATA": str(path), "ROLE": "hq", "TESTING": True})
    return app, connect(app.config["DATABASE"])


def join_stations(hq, folder: Path, codes, names=None) -> dict:
    """Make a station per code in ``folder``/name (the code unless ``names`` are given), each
    joined to HQ; return {code: db}."""
    stations = {}
    for code, name in zip(codes, names or codes, strict=True):
        stations[code] = make_site(folder / name, code)
        syncing.join(stations[code], syncing.add_station(hq, code, code, "http://hq"))
    return stations


def sync_with(db, app):
    """Push and pull one station against HQ's app (in process, through its WSGI)."""
    return syncing.run_sync(db, transport=httpx.WSGITransport(app=app))


def _member(given, father, mother, family, sex, age, relationship) -> dict:
    """One member of a household body."""
    return {"given_name": given, "father_name": father, "mother_name": mother,
            "family_name": family, "sex": sex, "age_years": age,
            "relationship": relationship}  # fmt: skip


HALABI_AR = [_member("محمد", "أحمد", "خديجة", "الحلبي", "male", 42, "head"),
             _member("فاطمة", "علي", "زينب", "الحلبي", "female", 38, "spouse"),
             _member("عبد الرحمن", "محمد", "فاطمة", "الحلبي", "male", 12, "child"),
             _member("مريم", "محمد", "فاطمة", "الحلبي", "female", 7, "child")]  # fmt: skip
HALABI_LATIN = [
    _member("Mohamad", "Ahmad", "Khadija", "Al-Halabi", "male", 40, "head"),
    _member("Fatima", "Ali", "Zeinab", "Halabi", "female", 38, "spouse"),
    _member("Abdulrahman", "Mohammed", "Fatma", "El Halabi", "male", 12, "child"),
    _member("Mariam", "Muhammad", "Fatima", "Alhalabi", "female", 7, "child"),
]
# What a medic writes: no other role may read it anywhere (pages, API, exports, conflicts).
MEDICAL_SECRETS = ("open femur fracture", "HIV positive", "sepsis", "amputation planned")


class Site:
    """A data folder's app, its connection and an API client acting as a role there."""

    def __init__(self, app, db):
        self.app, self.db, self.client = app, db, app.test_client()

    def api(self, role: str, method: str, path: str, body: dict | None = None) -> dict:
        """Call the JSON API as ``role``; fail the test on anything but a 2xx."""
        from fieldreg import auth

        headers = {"Authorization": "Bearer " + auth.create_token(self.db, f"t-{role}", role)}
        answer = self.client.open("/api/v1" + path, method=method, json=body, headers=headers)
        assert answer.status_code < 300, (path, answer.status_code, answer.get_json())
        return answer.get_json()


def first_day(root: Path) -> dict:
    """Build HQ's first day: stations K7M (syncs over the network) and P4R (by USB bundle)
    registered one family in Arabic and in Latin letters, a wounded man triaged at both, a
    child alone (with a tracing case) at K7M and the father's enquiry at P4R; bus 12 boarded
    a family at K7M that arrived at P4R with a girl without a tag. Bundles are carried twice
    and an older one after a newer; HQ ran deduplication. Return the sites and the codes."""
    from fieldreg import bundles, dedup

    app, hq = make_hq(root / "hq")
    dbs = join_stations(hq, root, ["K7M", "P4R"])
    k7m, p4r = (Site(create_app({"DATA": str(root / c), "TESTING": True}), dbs[c])
                for c in ("K7M", "P4R"))  # fmt: skip
    codes = {
        "halabi_ar": k7m.api(
            "registrar",
            "POST",
            "/households",
            {"members": HALABI_AR, "origin": {"district": "Aleppo"}, "consent_share": True},
        )
    }
    codes["halabi_latin"] = p4r.api(
        "registrar",
        "POST",
        "/households",
        {"members": HALABI_LATIN, "origin": {"district": "Aleppo"}, "consent_share": True},
    )
    child = _member("عمر", "خالد", "سلمى", "حداد", "male", 8, "head")
    codes["child"] = k7m.api(
        "registrar",
        "POST",
        "/households",
        {
            "members": [{**child, "vulnerabilities": ["unaccompanied_child"]}],
            "vulnerabilities": ["unaccompanied_child"],
            "consent_share": True,
        },
    )
    for site, member, dx, note in (
        (k7m, _member("يوسف", "حسن", "نور", "النجار", "male", 30, "head"), MEDICAL_SECRETS[0],
         MEDICAL_SECRETS[1]),
        (p4r, _member("Yousef", "Hasan", "Nour", "Najjar", "male", 30, "head"), MEDICAL_SECRETS[2],
         "psychiatric history")):  # fmt: skip
        person = site.api("registrar", "POST", "/households", {"members": [member]})["members"][0]
        site.api("medic", "POST", f"/people/{person['code']}/triage", {
            "category": "immediate", "conditions": ["other"], "condition_other": dx,
            "note": note})  # fmt: skip
        codes.setdefault("wounded", []).append(person["code"])
    site_move = {"kind": "transferred", "note": MEDICAL_SECRETS[3]}
    k7m.api("medic", "POST", f"/people/{codes['wounded'][0]}/movements", site_move)
    k7m.api("caseworker", "POST", "/tracing/cases", {
        "kind": "child", "person_code": codes["child"]["members"][0]["code"],
        **{k: v for k, v in child.items() if k != "relationship"},
        "consent_share": True, "assent": True})  # fmt: skip
    p4r.api("caseworker", "POST", "/tracing/cases", {
        "kind": "enquiry", "given_name": "Omar", "father_name": "Khaled", "mother_name": "Salma",
        "family_name": "Haddad", "sex": "male", "age_years": 8, "relationship": "father",
        "enquirer_name": "Khaled Haddad"})  # fmt: skip
    chami = [_member("Ahmad", "Omar", "Hala", "Chami", "male", 50, "head"),
             _member("Rana", "Omar", "Hala", "Chami", "female", 20, "child")]  # fmt: skip
    codes["chami"] = k7m.api("registrar", "POST", "/households", {"members": chami})
    convoy = k7m.api("coordinator", "POST", "/convoys", {"reference": "CV-7"})
    bus = k7m.api("coordinator", "POST", f"/convoys/{convoy['id']}/vehicles",
                  {"kind": "bus", "label": "Bus 12", "expected": 4})  # fmt: skip
    for code in (codes["chami"]["code"], codes["halabi_ar"]["members"][0]["code"]):
        k7m.api(
            "registrar", "POST", f"/vehicles/{bus['id']}/scans", {"code": code, "kind": "board"}
        )
    sync_with(k7m.db, app)
    first = bundles.export_bundle(p4r.db)[0]
    for _ in range(2):
        bundles.import_bundle(hq, first)
    bundles.import_bundle(p4r.db, bundles.export_bundle(hq, "P4R")[0])
    p4r.api("registrar", "POST", f"/vehicles/{bus['id']}/scans",
            {"code": codes["chami"]["code"], "kind": "arrive"})  # fmt: skip
    layla = _member("Layla", "Omar", "Hala", "Chami", "female", 17, "head")
    p4r.api(
        "registrar",
        "POST",
        "/households",
        {"members": [layla], "arrival": {"transport": "bus", "vehicle_id": bus["id"]}},
    )
    bundles.import_bundle(hq, bundles.export_bundle(p4r.db)[0])
    bundles.import_bundle(hq, first)
    dedup.full_run(hq)
    for site in (k7m, p4r):
        sync_with(site.db, app)
    return {"app": app, "hq": hq, "K7M": k7m, "P4R": p4r, "bus": bus, "codes": codes}


def boarded_then_registered_elsewhere(root) -> dict:
    """Issue 18 (an HQ analyst's review): Mohamad is scanned onto Bus 12 at K7M eight hours ago
    and registered at P4R in Latin letters without the bus (no tag, no vehicle picked); Ahmad
    boards with him and is never seen again; Fatima boards now, after her P4R record was made.
    Both stations sync and HQ runs deduplication, which links the Arabic and Latin records."""
    from fieldreg import dedup

    app, hq = make_hq(root / "hq")
    dbs = join_stations(hq, root, ["K7M", "P4R"])
    k7m, p4r = (Site(create_app({"DATA": str(root / c), "TESTING": True}), dbs[c])
                for c in ("K7M", "P4R"))  # fmt: skip
    family = k7m.api("registrar", "POST", "/households",
                     {"members": HALABI_AR, "origin": {"district": "Aleppo"}})  # fmt: skip
    alone = k7m.api("registrar", "POST", "/households", {"members": [
        {"given_name": "Ahmad", "father_name": "Omar", "family_name": "Chami", "sex": "male",
         "age_years": 50}]})  # fmt: skip
    convoy = k7m.api("coordinator", "POST", "/convoys", {"reference": "CV-7"})
    bus = k7m.api("coordinator", "POST", f"/convoys/{convoy['id']}/vehicles",
                  {"kind": "bus", "label": "Bus 12", "expected": 4})  # fmt: skip
    eight = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=8)).isoformat()
    for who in (family["members"][0], alone["members"][0]):
        k7m.api("registrar", "POST", f"/vehicles/{bus['id']}/scans",
                {"code": who["code"], "kind": "board", "at": eight})  # fmt: skip
    latin = p4r.api("registrar", "POST", "/households",
                    {"members": HALABI_LATIN, "origin": {"district": "Aleppo"}})  # fmt: skip
    k7m.api("registrar", "POST", f"/vehicles/{bus['id']}/scans",
            {"code": family["members"][1]["code"], "kind": "board"})  # fmt: skip
    for site in (k7m, p4r, k7m):
        sync_with(site.db, app)
    dedup.full_run(hq)
    return {"hq": Site(app, hq), "k7m": k7m, "bus": bus, "convoy": convoy,
            "man": family["members"][0]["code"], "wife": family["members"][1]["code"],
            "alone": alone["members"][0]["code"],
            "found_as": latin["members"][0]["code"]}  # fmt: skip
