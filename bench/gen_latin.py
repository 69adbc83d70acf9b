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

MALE = """James|Jim|Jimmy:40 John|Jon|Johnny:40 Robert|Bob|Rob|Bobby:35 Michael|Mike|Mick:35
William|Bill|Will|Billy:30 David|Dave:30 Richard|Rick|Dick:20 Joseph|Joe:20 Thomas|Tom|Tommy:25
Charles|Charlie|Chuck:18 Christopher|Chris:18 Daniel|Dan|Danny:18 Matthew|Matt:15
Anthony|Tony:15 Mark:15 Steven|Stephen|Steve:15 Paul:15 Andrew|Andy|Drew:15 Peter|Pete:14
Edward|Ed|Eddie|Ted:12 George:12 Kevin:10 Brian|Bryan:10 Jean:10 Pierre:8 Luca:8 Marco:8
Giuseppe|Peppe:6 Antonio|Toni:8 Jose|Pepe:8 Juan:8 Carlos:6 Miguel:6 Hans:6 Klaus:5
Jürgen|Juergen:5 Stefan|Stephan:6 Lukas|Lucas:8 Jakub|Kuba:6 Piotr:6 Tomasz|Tomek:5
Jan:8 Pieter:4 Willem|Wim:4 Sven:4 Lars:4 Henrik|Henry|Harry:8 Patrick|Pat|Paddy:8
Sean|Shaun:6 Liam:8 Noah:8 Oliver|Ollie:8 Samuel|Sam:8 Benjamin|Ben:8 Alexander|Alex:10
Nicholas|Nick:8 Jonathan|Jon:6 Philip|Phillip|Phil:6 Geoffrey|Jeffrey|Geoff|Jeff:5
Frederick|Fred|Freddie:5 Albert|Bert:4 Francis|Frank:6 François|Francois:4 Mathieu|Matthieu:4
Nicolas:5 Louis:6 Hugo:5 Léo|Leo:5 Mateo|Matteo:6 Aleksander|Olek:3 Dmitri|Dmitry:3"""

FEMALE = """Mary|Molly:35 Patricia|Pat|Patty|Trish:20 Jennifer|Jenny|Jen:20 Linda:15
Elizabeth|Liz|Beth|Betty|Eliza:30 Barbara|Barb:12 Susan|Sue|Susie:15 Jessica|Jess:15
Sarah|Sara:18 Karen|Caren:12 Nancy:8 Lisa:10 Margaret|Maggie|Peggy|Meg:15
Catherine|Katherine|Kathryn|Kate|Kathy|Cathy:20 Anne|Ann|Annie:15 Emma:15 Olivia|Liv:12
Sophie|Sophia|Sofia:15 Charlotte|Lottie:10 Amelia|Amy:10 Emily|Em:12 Grace:8 Lucy:8
Hannah|Hanna:10 Laura:10 Julia|Giulia:10 Maria:15 Marie:10 Ana|Anna:12 Isabel|Isabelle|Izzy:8
Camille:5 Chloé|Chloe:8 Léa|Lea:6 Manon:4 Francesca|Fran:5 Chiara:5 Lucía|Lucia:6
Carmen:5 Elena|Helena:8 Katarzyna|Kasia:6 Agnieszka|Aga:4 Małgorzata|Malgorzata|Gosia:4
Ingrid:4 Astrid:3 Anke:3 Ursula|Ulla:3 Greta:4 Eva|Eve:6 Rebecca|Becky:8 Victoria|Vicky:8
Alexandra|Alex|Sasha:6 Christine|Christina|Chris:8 Deborah|Debbie|Deb:5 Rachel:6
Nicole|Nicola|Nikki:6 Rose|Rosie:5 Claire|Clare:6 Jane:8 Helen|Ellen:8 Joanna|Jo:5"""

FAMILY = """Smith:60 Jones:40 Williams:35 Brown:35 Taylor:30 Davies|Davis:25 Wilson:20 Evans:20
Thomas:18 Johnson:18 Roberts:16 Walker:16 Wright:14 Robinson:14 Thompson:14 White:14
Hughes:12 Edwards:12 Green:12 Hall:12 Wood:12 Harris:12 Lewis:12 Martin:14 Jackson:10
Clarke|Clark:12 Turner:10 Hill:10 Scott:10 Cooper:10 Morris:10 Ward:8 Moore:8 King:8
Watson:8 Baker:8 Harrison:8 Morgan:8 Patel:10 Young:8 Allen:8 Mitchell:7 James:7 Anderson:7
Phillips|Philips:7 Lee:8 Bell:7 Parker:7 Bennett:6 Price:6 Griffiths:6 Kelly:6 Simpson:6
Murphy:8 O'Brien|OBrien|O_Brien:7 O'Neill|ONeill|O'Neil:5 McDonald|MacDonald|Mcdonald:6
McCarthy|MacCarthy:4 Murray:5 Campbell:6 Stewart|Stuart:5 Fraser|Frazer:4 Ross:4
Müller|Mueller|Muller:15 Schmidt|Schmitt:12 Schneider:10 Fischer|Fisher:10 Weber:8
Meyer|Meier|Mayer:10 Wagner:8 Becker:7 Schulz|Schultz:7 Hoffmann|Hoffman:7
Schäfer|Schaefer|Schafer:5 Koch:6
Bauer:6 Richter:5 Klein:6 Wolf|Wolff:5 Schröder|Schroeder|Schroder:5 Neumann:5 Braun:5
Zimmermann|Zimmerman:4 Krüger|Krueger|Kruger:4 Hartmann:4 Lange:4 Werner:4 Krause:4
García|Garcia:12 Rodríguez|Rodriguez:10 González|Gonzalez:10 Fernández|Fernandez:10
López|Lopez:10 Martínez|Martinez:10 Sánchez|Sanchez:8 Pérez|Perez:8 Gómez|Gomez:6
Díaz|Diaz:6 Moreno:5 Álvarez|Alvarez:5 Romero:5 Navarro:4 Torres:5 Ruiz:5
Rossi:10 Russo:8 Ferrari:7 Esposito:7 Bianchi:6 Romano:6 Colombo:6 Ricci:5 Marino:5
Greco:5 Bruno:5 Gallo:5 Conti:4 De_Luca|DeLuca:4 Costa:5 Giordano:4 Mancini:4 Lombardi:4
Nowak:10 Kowalski|Kowalsky:8 Wiśniewski|Wisniewski:6 Wójcik|Wojcik:5 Kowalczyk:5
Kamiński|Kaminski:5 Lewandowski:5 Zieliński|Zielinski:4 Szymański|Szymanski:4
Dubois:6 Bernard:6 Durand:5 Lefèvre|Lefevre|Lefebvre:5 Moreau:5 Laurent:5 Simon:5
Michel:5 Leroy:4 Roux:4 David:4 Bertrand:4 Morel:4 Fournier:4 Girard:4 Bonnet:4
de_Jong|De_Jong|Dejong:5 Jansen|Janssen:6 de_Vries|De_Vries|Devries:5
van_den_Berg|Van_den_Berg|Vandenberg:4 van_Dijk|Van_Dijk|Vandijk:4
Bakker:4 Visser:4 Smit:4 Meijer|Meyer:3 de_Boer|De_Boer:3
Johansson:4 Andersson:4 Karlsson|Carlsson:4 Nilsson:4 Eriksson|Ericsson:4 Larsson:4
Hansen:5 Nielsen|Nielson:5 Jensen:5 Pedersen|Petersen:4 Olsen|Olson:4
Silva:6 Santos:6 Ferreira:5 Pereira:5 Oliveira:5 Costa-Silva:1 García-López|Garcia_Lopez:1
Horvat:3 Novak:4 Kovačević|Kovacevic:3 Popescu:4 Ionescu:3 Nagy:4 Kovács|Kovacs:3
Papadopoulos:3 Yilmaz:3 Ivanov:3 Petrov:3"""

STREETS = """High Church Station Mill Park Victoria London Green Manor Kings Queens Mill Bridge
Chapel School North South West East Main Oak Elm Maple Cedar Willow Ash Birch Rose
Hawthorn Orchard Meadow Spring Hill Garden Market Castle Abbey Albert York Windsor
Lime Beech Grange Rectory Cross Heath Forest River Brook Lake Canal Harbour Quay
Goethe Schiller Bahnhof Haupt Linden Rosen Berg Wald Kirch Schul Garten Markt Ring
Rue-de-la-Paix Victor-Hugo Pasteur Jean-Jaures Gambetta Verdi Garibaldi Mazzini Roma Dante
Mayor Real Sol Luna Alcala Gran-Via Marszalkowska Dluga Krakowska Kerkstraat Dorpstraat"""

SUFFIXES = [("Street", ["St", "St.", "Str"]), ("Road", ["Rd", "Rd."]), ("Avenue", ["Ave", "Av"]),
            ("Lane", ["Ln"]), ("Close", ["Cl"]), ("Drive", ["Dr"]), ("Place", ["Pl"]),
            ("Crescent", ["Cres"]), ("Way", [])]  # fmt: skip
TOWNS = """Leeds Bristol Manchester Liverpool Sheffield Cardiff Glasgow Edinburgh Belfast Dublin
Cork Galway Lyon Marseille Toulouse Lille Nantes Bordeaux Munich Hamburg Cologne Frankfurt
Stuttgart Leipzig Dresden Milan Turin Naples Bologna Florence Madrid Seville Valencia Bilbao
Lisbon Porto Krakow Warsaw Gdansk Poznan Wroclaw Rotterdam Utrecht Eindhoven Antwerp Ghent
Malmo Gothenburg Aarhus Odense Bergen Graz Linz Basel Geneva Brno Ostrava Zagreb Cluj"""
OCR = [("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("l", "1"), ("O", "0"), ("o", "0"),
       ("i", "l"), ("e", "c"), ("u", "v"), ("h", "b"), ("S", "5")]  # fmt: skip
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
        members.append({"true_id": f"L{hid}-{len(members)}", "true_household": f"H{hid}",
                        "sex": sex, "given": given, "family": surname, "born": born,
                        "home": home, "phone": phone})  # fmt: skip

    def birthday(age: int) -> date:
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
