"""Generate a Latin-script population (English and European names) with ground truth.

Households share a family name (a spouse keeps her own in a third of them), an address
(number, street, locality, postcode) and often a phone: household members are the hard
negatives, and so are a father and son of one name (Sr/Jr) and twins (one birth date, two
given names). Registrations come from several agencies' lists, with the errors clerks and OCR
make: keyboard and OCR typos (rn/m, cl/d, 0/O, l/1), a nickname for the given name (Robert /
Bob), spelling variants (Catherine / Katherine), diacritics dropped or spelled out (Müller /
Mueller / Muller), given and family names swapped, a name left out, an initial only, day and
month swapped, a digit of the birth date off, an age instead of a date, street words
abbreviated (Street / St), a postcode with a typo or missing, a household that moved between
two registrations, a phone left out. Every record carries `true_id` and `true_household`.

    python -m bench.gen_latin 10000 out.csv [--seed 1]
"""

import argparse
import csv
import random
from datetime import date, timedelta

from bench.latin_names import FAMILY, FEMALE, MALE, OCR, STREETS, SUFFIXES, TOWNS

KEYS = "qwertyuiopasdfghjklzxcvbnm"
TYPO, OCR_SHARE = 0.08, 0.3


def parse(table: str) -> list[tuple[list[str], float]]:
    """Parse 'Formal|Variant|Nickname:weight' entries."""
    rows = []
    for entry in table.split():
        names, weight = entry.rsplit(":", 1)
        rows.append((names.replace("_", " ").split("|"), float(weight)))
    return rows


class Names:
    """Weighted draws of names with their variants."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tables = {"m": parse(MALE), "f": parse(FEMALE), "l": parse(FAMILY)}
        self.weights = {k: [w for _, w in rows] for k, rows in self.tables.items()}
        self.streets = [street.replace("-", " ") for street in STREETS.split()]
        self.towns = TOWNS.split()

    def draw(self, kind: str) -> list[str]:
        """Draw one name (its variants, formal first) of kind m, f or l."""
        return self.rng.choices(self.tables[kind], weights=self.weights[kind])[0][0]

    def address(self) -> dict:
        """Draw a home: number, street, locality, postcode."""
        rng = self.rng
        town = rng.randrange(len(self.towns))
        street = rng.choice(self.streets)
        suffix = rng.choice(SUFFIXES)
        return {"number": str(rng.randint(1, 250)), "street": street, "suffix": suffix,
                "locality": self.towns[town],
                "postcode": f"{town % 90 + 10}{rng.randrange(1000):03d}"}  # fmt: skip


def typo(text: str, rng: random.Random) -> str:
    """Make one keyboard or OCR error in a text, now and then."""
    if rng.random() >= TYPO or len(text) < 3:
        return text
    if rng.random() < OCR_SHARE:
        found = [(a, b) for a, b in OCR if a in text]
        if found:
            a, b = rng.choice(found)
            return text.replace(a, b, 1)
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + text[i + 1 :]
    if kind < 0.55:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.8:
        return text[:i] + rng.choice(KEYS) + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def write_name(variants: list[str], rng: random.Random, nickname: float = 0.0) -> str:
    """Write a name: usually the formal form, sometimes a variant or nickname, a typo."""
    name = variants[0]
    if len(variants) > 1 and rng.random() < nickname:
        name = rng.choice(variants[1:])
    elif len(variants) > 1 and rng.random() < 0.1:
        name = variants[1]
    if rng.random() < 0.05:
        name = name.upper() if rng.random() < 0.5 else name.lower()
    return typo(name, rng)


def write_address(home: dict, rng: random.Random) -> dict:
    """Write a home the way a clerk might: street word abbreviated, number after, typos."""
    word, short = home["suffix"]
    if short and rng.random() < 0.4:
        word = rng.choice(short)
    street = typo(f"{home['street']} {word}", rng)
    text = f"{street} {home['number']}" if rng.random() < 0.15 else f"{home['number']} {street}"
    postcode = home["postcode"] if rng.random() > 0.1 else ""
    if postcode and rng.random() < 0.04:
        i = rng.randrange(len(postcode))
        postcode = postcode[:i] + str(rng.randrange(10)) + postcode[i + 1 :]
    locality = typo(home["locality"], rng) if rng.random() > 0.05 else ""
    return {"address": text if rng.random() > 0.05 else "", "locality": locality,
            "postcode": postcode}  # fmt: skip


def make_household(names: Names, hid: int, today: date) -> list[dict]:
    """Return the true members of one household: adults, children, sometimes a grandparent."""
    rng = names.rng
    family, home = names.draw("l"), names.address()
    phone = f"07{rng.randrange(10**9):09d}" if rng.random() < 0.8 else ""
    members: list[dict] = []

    def person(sex: str, given: list[str], surname: list[str], born: date) -> None:
        """Add a member to the household."""
        members.append({"true_id": f"L{hid}-{len(members)}", "true_household": f"H{hid}",
                        "sex": sex, "given": given, "family": surname, "born": born,
                        "home": home, "phone": phone})  # fmt: skip

    def birthday(age: int) -> date:
        """Return a birth date for an age."""
        return today - timedelta(days=age * 365 + rng.randrange(365))

    head_age = rng.randint(20, 80)
    head = names.draw("m")
    person("male", head, family, birthday(head_age))
    size = min(max(1, int(rng.gauss(3, 1.5))), 8)
    if size > 1:
        spouse_family = names.draw("l") if rng.random() < 0.33 else family
        person(
            "female",
            names.draw("f"),
            spouse_family,
            birthday(max(18, head_age - rng.randint(-3, 8))),
        )
    taken = {head[0]}
    for _ in range(max(0, size - 2)):
        sex = rng.choice(["male", "female"])
        given = names.draw("m" if sex == "male" else "f")
        if (
            sex == "male"
            and head[0] not in {m["given"][0] for m in members[2:]}
            and rng.random() < 0.1
        ):
            given = head  # a son named after his father (Sr / Jr)
        elif given[0] in taken:
            continue
        taken.add(given[0])
        age = rng.randint(0, max(0, min(40, head_age - 18)))
        born = members[-1]["born"] if len(members) > 2 and rng.random() < 0.03 else birthday(age)
        person(sex, given, family, born)  # born: a twin of the previous child, now and then
    if rng.random() < 0.06:
        person("female", names.draw("f"), names.draw("l"), birthday(head_age + rng.randint(20, 30)))
    return members


def write_person(truth: dict, reg: dict, rng: random.Random, today: date) -> dict:
    """Return one record of a person, with the errors of a real list."""
    record = {
        "id": f"R{reg['seq']}-{truth['true_id']}",
        "given_name": write_name(truth["given"], rng, nickname=reg["nicknames"]),
        "family_name": write_name(truth["family"], rng),
        "sex": truth["sex"] if rng.random() > 0.03 else "",
        "date_of_birth": "", "age_years": "", "phone": reg["phone"], "id_number": "",
        "household_id": reg["household_id"], "true_id": truth["true_id"],
        "true_household": truth["true_household"], **write_address(reg["home"], rng),
    }  # fmt: skip
    if rng.random() < 0.02:
        record["given_name"], record["family_name"] = record["family_name"], record["given_name"]
    elif rng.random() < 0.03:
        record["given_name"] = record["given_name"][:1] + "." if rng.random() < 0.5 else ""
    record.update(_birth(truth["born"], rng, today))
    if rng.random() < 0.15 and (today - truth["born"]).days > 18 * 365:
        record["id_number"] = truth.setdefault("id_number", f"{rng.randrange(10**9):09d}")
    return record


def _birth(born: date, rng: random.Random, today: date) -> dict:
    """Return a date of birth (with the slips clerks make), or an age, or nothing."""
    roll = rng.random()
    if roll < 0.04:
        return {}
    if roll < 0.12:
        return {"age_years": str((today - born).days // 365)}
    slip = rng.random()
    if slip < 0.04 and born.day <= 12:
        born = date(born.year, born.day, born.month)
    elif slip < 0.07:
        born = date(born.year + rng.choice([-1, 1, -10, 10]), born.month, min(born.day, 28))
    elif slip < 0.10:
        day = min(28, max(1, born.day + rng.choice([-1, 1, 10, -10])))
        born = date(born.year, born.month, day)
    return {"date_of_birth": born.isoformat()}


def registrations(members: list[dict], rng: random.Random, seq: int) -> list[tuple[dict, list]]:
    """Return the registrations of one household: once, sometimes again, a member alone."""
    regs = []
    times = 1 + (rng.random() < 0.2) + (rng.random() < 0.05)
    for time in range(times):
        home = members[0]["home"]
        if time and rng.random() < 0.15:
            home = {**home, "number": str(rng.randint(1, 250)), "street": home["street"] + "s"}
        keep = members if time == 0 else [m for m in members if rng.random() < 0.85]
        regs.append((home, keep))
    regs += [(m["home"], [m]) for m in members if rng.random() < 0.04]
    out = []
    for home, keep in regs:
        seq += 1
        phone = members[0]["phone"] if rng.random() < 0.7 else ""
        out.append(({"seq": seq, "household_id": f"HH{seq}", "home": home, "phone": phone,
                     "nicknames": rng.choice([0.0, 0.1, 0.3])}, keep))  # fmt: skip
    return out


def generate(n_records: int, seed: int = 1) -> list[dict]:
    """Return about n_records records with ground-truth columns."""
    rng = random.Random(seed)
    names, today = Names(rng), date(2026, 11, 1)
    records: list[dict] = []
    hid = seq = 0
    while len(records) < n_records:
        hid += 1
        members = make_household(names, hid, today)
        for reg, keep in registrations(members, rng, seq):
            seq = reg["seq"]
            records.extend(write_person(m, reg, rng, today) for m in keep)
    rng.shuffle(records)
    return records[:n_records]


FIELDS = ["id", "given_name", "family_name", "sex", "date_of_birth", "age_years", "phone",
          "id_number", "address", "locality", "postcode", "household_id", "true_id",
          "true_household"]  # fmt: skip


def write_csv(records: list[dict], path: str) -> None:
    """Write records with the ground-truth columns to a UTF-8 CSV."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(records)


def main() -> None:
    """Write a generated population to a CSV file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_csv(generate(args.size, args.seed), args.out)


if __name__ == "__main__":
    main()
