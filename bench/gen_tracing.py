"""Generate a tracing population with ground truth: families, children who arrived alone,
the names they could give, and the enquiries adults made.

Families come from gen_population (Zipf-weighted names, children carrying their father's
given name and mother's name, Arabic or Latin spellings with clerks' variants and typos).
Some children are separated from their family on the road: each is registered alone (a
household of one, unaccompanied) or with a carer (separated), and says what it knows: always
its given name; its father's name, family name, mother's name, a sibling or two, its home
town, where and when it lost its family, each with a chance that falls with age, written in
either script. Most of their families arrive and are registered (at any of the stations,
sometimes twice); the others do not. Enquiries come from registered parents, from a partner
agency (no registered enquirer), and some look for children who were never registered.

    python -m bench.gen_tracing            # prints the population's make-up
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.gen_population import ARABIC_SHARE, Names, make_household, write_arabic, write_latin

TODAY = date(2026, 11, 1)
CHECKPOINTS = """حاجز_الراموسة:Ramouseh_checkpoint دوار_الموت:Death_roundabout
معبر_باب_الهوى:Bab_al-Hawa كراج_البولمان:Pullman_garage ساحة_سعد_الله:Saadallah_square
جسر_الحج:Hajj_bridge
مفرق_خان_طومان:Khan_Tuman_junction طريق_الكاستيلو:Castello_road"""
STATIONS = ("K7M", "P4R", "W9T")


@dataclass
class Population:
    """People as registered, the cases of children alone, enquiries, and the truth."""

    people: list[dict] = field(default_factory=list)
    children: list[dict] = field(default_factory=list)
    enquiries: list[dict] = field(default_factory=list)
    # case id -> the ids of its true relatives among targets (household ids, enquiry ids)
    truth: dict[str, set[str]] = field(default_factory=dict)


class Writer:
    """Writes names as one registration or one account does: one script throughout."""

    def __init__(self, rng: random.Random, arabic: bool | None = None) -> None:
        """Choose the script (Arabic for ARABIC_SHARE of the writers) unless told."""
        self.rng = rng
        self.arabic = rng.random() < ARABIC_SHARE if arabic is None else arabic

    def name(self, name: tuple[str, list[str]], family: bool = False) -> str:
        """Write one name in this writer's script."""
        if self.arabic:
            return write_arabic(name[0], self.rng, family)
        return write_latin(name[1], self.rng, family)


def _age(member: dict) -> int:
    """Return a generated person's age in years on TODAY."""
    return (TODAY - member["born"]).days // 365


def _register(pop: Population, rng: random.Random, members: list[dict], hh: str,
              place: tuple[str, str], station: str) -> None:  # fmt: skip
    """Register members as one household at a station, as a clerk writes them."""
    pen = Writer(rng)
    origin = place[0] if pen.arabic else place[1]
    for m in members:
        age = _age(m)
        pop.people.append({
            "id": f"{hh}-{m['true_id']}", "household_id": hh, "station": station,
            "given_name": pen.name(m["given"]),
            "father_name": pen.name(m["father"]) if rng.random() < 0.93 else "",
            "mother_name": pen.name(m["mother"]) if rng.random() < 0.8 else "",
            "family_name": pen.name(m["family"], family=True),
            "sex": m["sex"], "origin": origin if rng.random() < 0.9 else "",
            "age_years": age if age < 15 else max(15, 5 * round(rng.gauss(age, 2) / 5)),
            "relationship": m["relationship"],
            "true_id": m["true_id"], "true_household": m["true_household"],
        })  # fmt: skip


def _told(rng: random.Random, age: int, old: float, young: float) -> bool:
    """Tell whether a child of this age knew and said something (older children say more)."""
    return rng.random() < (old if age >= 6 else young)


def _account(rng, names, child: dict, family: list[dict], place) -> dict:
    """Return what a separated child could say about itself and its family."""
    pen, age = Writer(rng), _age(child)
    father = next(m for m in family if m["relationship"] == "head")
    told = {
        "given_name": pen.name(child["given"]),
        "father_name": pen.name(child["father"]) if _told(rng, age, 0.95, 0.75) else "",
        "family_name": pen.name(child["family"], True) if _told(rng, age, 0.8, 0.45) else "",
        "mother_name": pen.name(child["mother"]) if _told(rng, age, 0.65, 0.35) else "",
    }
    if told["father_name"] and not told["family_name"] and rng.random() < 0.15:
        told["father_name"] += " " + pen.name(father["family"], True)  # "Ahmad al-Halabi"
    siblings = [m for m in family if m["relationship"] == "child" and m is not child]
    said = rng.sample(siblings, min(len(siblings), rng.randint(1, 3)))
    if said and _told(rng, age, 0.55, 0.3):
        told["siblings"] = [pen.name(s["given"]) for s in said]
    if _told(rng, age, 0.6, 0.3):
        told["origin"] = place[0] if pen.arabic else place[1]
    if age < 6 and rng.random() < BROUGHT_BY_NEIGHBOUR:  # an adult who knew the family
        told["brought_by"] = "neighbour"
        if not told["family_name"] and rng.random() < 0.8:
            told["family_name"] = pen.name(child["family"], True)
        if not told.get("origin") and rng.random() < 0.8:
            told["origin"] = place[0] if pen.arabic else place[1]
    if rng.random() < 0.85:
        told.update(_where_when(rng, names, pen, child["lost"], 0.9, 1))
    return {**told, "sex": child["sex"], "age_years": max(0, age + rng.choice([-1, 0, 0, 1]))}


def _where_when(rng, names, pen, lost: tuple, same_place: float, days_off: int) -> dict:
    """Return where and when a child was lost, as one witness remembers it."""
    spot, day = lost
    if rng.random() >= same_place:
        spot = rng.choice(names.checkpoints)
    day = day + timedelta(days=rng.randint(-days_off, days_off))
    return {"separated_place": spot[0] if pen.arabic else spot[1],
            "separated_on": day.isoformat()}  # fmt: skip


def _lost(rng, names) -> tuple:
    """Return where and when a separation happened (a checkpoint, a day)."""
    return rng.choice(names.checkpoints), TODAY - timedelta(days=rng.randint(1, 20))


ABSENT = 0.3  # share of separated children whose family never reaches a station
# A young child is often brought by a neighbour who knows its family name and home town.
BROUGHT_BY_NEIGHBOUR = 0.4
TWICE = 0.04  # families registered at two stations
UNACCOMPANIED = 0.7  # registered alone; the others with a carer (separated)


def generate(households: int = 10_000, children: int = 300, enquiries: int = 400,
             seed: int = 7, stations: tuple[str, ...] = STATIONS) -> Population:  # fmt: skip
    """Return a registered population with separated children and enquiries, and the truth."""
    rng = random.Random(seed)
    names = Names(rng)
    names.checkpoints = [tuple(e.replace("_", " ").split(":")) for e in CHECKPOINTS.split()]
    families = [make_household(names, h, TODAY) for h in range(1, households + 1)]
    places = [rng.choice(names.places) for _ in families]
    eligible = [i for i, f in enumerate(families) if _kids(f)]
    lost = {i: rng.choice(_kids(families[i])) for i in rng.sample(eligible, children)}
    for child in lost.values():
        child["lost"] = _lost(rng, names)
    pop, registered = Population(), {}
    for i, family in enumerate(families):
        members = [m for m in family if m is not lost.get(i)]
        if not members or (i in lost and rng.random() < ABSENT):
            continue
        for time in range(1 + (rng.random() < TWICE)):
            hh = f"H{i}-{time}"
            _register(pop, rng, members, hh, places[i], rng.choice(stations))
            registered.setdefault(i, []).append(hh)
    for n, (i, child) in enumerate(lost.items()):
        carers = [hhs[0] for j, hhs in registered.items() if j != i]
        _separated(pop, rng, names, n, child, families[i], places[i], carers, stations)
        pop.truth[f"C{n}"] = set(registered.get(i, []))
    _enquiries(pop, rng, names, enquiries, families, lost, registered)
    return pop


def _kids(family: list[dict]) -> list[dict]:
    """Return the children of a family old enough to be separated and say something.

    gen_population lets a 65-year-old mother have a 9-year-old: here a mother is at most 45
    years older than her lost child.
    """
    mother = next((m for m in family if m["relationship"] == "spouse"), None)
    oldest = _age(mother) - 45 if mother else 0
    return [m for m in family
            if m["relationship"] == "child" and max(2, oldest) <= _age(m) <= 15]  # fmt: skip


def _separated(pop, rng, names, n, child, family, place, carers, stations) -> None:
    """Register a separated child (alone, or with a carer's household) and open its case."""
    told = _account(rng, names, child, family, place)
    alone = rng.random() < UNACCOMPANIED or not carers
    hh = f"A{n}" if alone else rng.choice(carers)
    person = {
        "id": f"{hh}-{child['true_id']}", "household_id": hh, "station": rng.choice(stations),
        "relationship": "head" if alone else "other_relative",
        **{k: told.get(k, "") for k in ("given_name", "father_name", "mother_name",
                                        "family_name", "sex", "age_years", "origin")},
        "true_id": child["true_id"], "true_household": child["true_household"],
    }  # fmt: skip
    pop.people.append(person)
    pop.children.append({
        **told, "id": f"C{n}", "person_id": person["id"], "household_id": hh,
        "station": person["station"], "separation": "unaccompanied" if alone else "separated",
        "true_id": child["true_id"],
    })  # fmt: skip


def _enquiries(pop, rng, names, count, families, lost, registered) -> None:
    """Make enquiries: from registered parents, from a partner, for children never seen."""
    cases = {c["true_id"]: c for c in pop.children}
    people = {p["id"]: p for p in pop.people}
    known = [i for i in lost if i in registered]
    unknown = [i for i in lost if i not in registered]
    from_parents = rng.sample(known, min(len(known), round(count * 0.375)))
    from_partner = rng.sample(unknown, min(len(unknown), round(count * 0.125)))
    for i in from_parents + from_partner:
        child, family = lost[i], families[i]
        role = "head" if rng.random() < 0.6 else "spouse"
        parent = next((m for m in family if m["relationship"] == role), family[0])
        enquirer = people.get(f"H{i}-0-{parent['true_id']}") if i in registered else None
        made = _enquiry(rng, names, len(pop.enquiries), child, parent, enquirer)
        pop.enquiries.append(made)
        pop.truth[cases[child["true_id"]]["id"]].add(made["id"])
    heads = [p for p in pop.people if p["id"].startswith("H") and p["true_id"].endswith("-0")]
    while len(pop.enquiries) < count:  # children who were never registered anywhere
        head = rng.choice(heads)
        family = families[int(head["household_id"][1:].split("-")[0])]
        ghost = make_household(names, 10**6 + len(pop.enquiries), TODAY)[-1]
        ghost = {**ghost, "father": family[0]["given"], "family": family[0]["family"],
                 "lost": _lost(rng, names)}  # fmt: skip
        enquirer = head if rng.random() < 0.5 else None
        pop.enquiries.append(_enquiry(rng, names, len(pop.enquiries), ghost, family[0], enquirer))


def _enquiry(rng, names, k, child, parent, enquirer: dict | None) -> dict:
    """Return an enquiry by a parent (registered, or through a partner) for a child."""
    pen = Writer(rng)
    relationship = "father" if parent["sex"] == "male" else "mother"
    about = {
        "given_name": pen.name(child["given"]), "sex": child["sex"],
        "age_years": max(0, _age(child) + rng.choice([-2, -1, 0, 0, 1, 2])),
        "family_name": pen.name(child["family"], True) if rng.random() < 0.5 else "",
    }  # fmt: skip
    if enquirer is None:  # a partner's record names the child's parents in words
        about["father_name"] = pen.name(child["father"]) if rng.random() < 0.7 else ""
        about["family_name"] = about["family_name"] or pen.name(child["family"], True)
        author = {"given_name": pen.name(parent["given"]), "sex": parent["sex"],
                  "family_name": pen.name(parent["family"], True)}  # fmt: skip
    else:
        author = {k: enquirer[k] for k in ("given_name", "family_name", "sex")}
    if rng.random() < 0.8:
        about.update(_where_when(rng, names, pen, child["lost"], 0.8, 2))
    return {
        **about, "id": f"E{k}", "relationship": relationship, "enquirer": author,
        "person_id": enquirer["id"] if enquirer else None,
        "household_id": enquirer["household_id"] if enquirer else "",
        "true_id": child["true_id"],
    }  # fmt: skip


def evaluate(pop: Population, ranked: dict, limit: int = 5) -> dict:
    """Return the accuracy figures: top 1 and top 5 where there is a relative, false probables."""
    have = [c["id"] for c in pop.children if pop.truth[c["id"]]]
    none = [c["id"] for c in pop.children if not pop.truth[c["id"]]]

    def hit(case: str, n: int) -> bool:
        """Tell whether a true relative is among the case's first n candidates."""
        return any(c.target_id in pop.truth[case] for c in ranked.get(case, [])[:n])

    false = [case for case in none if any(c.label == "probable" for c in ranked.get(case, []))]
    return {
        "children": len(pop.children), "with_relative": len(have), "without": len(none),
        "top1": sum(hit(c, 1) for c in have) / max(1, len(have)),
        "top5": sum(hit(c, limit) for c in have) / max(1, len(have)),
        "false_probable": len(false) / max(1, len(none)),
        "missed": [c for c in have if not hit(c, limit)],
    }  # fmt: skip


if __name__ == "__main__":
    made = generate()
    print(f"{len(made.people)} people, {len(made.children)} children, "
          f"{len(made.enquiries)} enquiries, "
          f"{sum(1 for t in made.truth.values() if t)} children with a relative")  # fmt: skip
