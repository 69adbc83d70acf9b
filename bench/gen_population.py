"""Generate a synthetic Syrian evacuee population with ground truth, for the dedup benchmark.

Households (a head, often a spouse with her own family name, children carrying the head's given
name as father's name, sometimes a grandparent) draw names from Zipf-weighted lists, so common
names are very common. Each registration of a household happens at one station, in Arabic or
in Latin letters, with the spelling variants clerks really produce (Mohammed / Mohamad / Mhd,
Othman / Osman, Haitham / Haysam, Al-Halabi / El Halabi / Halabi, عبد الرحمن / عبدالرحمن,
hamza and ta marbuta dropped), typos, missing fields, estimated ages and swapped day/month.
Most households are registered once, some two or three times (not always with every member),
and some people register again on their own. Every record carries `true_id` (the person)
and `true_household`.

    python bench/gen_population.py 10000 out.csv [--seed 1] [--plain]

`--plain` (generate(..., levantine=False)) leaves out the Levantine spellings of ث ذ ظ names
(Osman, Haysam, Monzer, Moaz, Saer) and the names added with them: the population before
issue 15.
"""

import csv
import random
import sys
from datetime import date, timedelta

MALE = """محمد:Mohammed|Mohamad|Muhammad|Mohamed|Mhd|Mohammad:120 أحمد:Ahmad|Ahmed:60 علي:Ali:40
عمر:Omar|Umar:30 خالد:Khaled|Khalid:30 محمود:Mahmoud|Mahmud:30 حسن:Hassan|Hasan:25
حسين:Hussein|Husain|Hussain:20 مصطفى:Mustafa|Moustafa|Mostafa:20
عبد_الرحمن:Abdulrahman|Abd_al-Rahman|Abdel_Rahman|Abdelrahman|Abdul_Rahman:20
عبد_الله:Abdullah|Abdallah|Abd_Allah:20 يوسف:Yousef|Yusuf|Youssef:20
إبراهيم:Ibrahim|Ebrahim:18 سامر:Samer:10 فادي:Fadi|Fady:10 رامي:Rami|Ramy:10
باسل:Basel|Basil:10 بشار:Bashar|Bachar:8 وائل:Wael|Wa'el:8 ياسر:Yaser|Yasser:8
طارق:Tarek|Tariq:8 زياد:Ziad|Ziyad:8 أيمن:Ayman|Aiman:8 إياد:Iyad|Eyad:6 مروان:Marwan:6
هيثم:Haitham|Haytham:6 غسان:Ghassan:6 جميل:Jamil|Jameel:5 نزار:Nizar:5
سليمان:Suleiman|Sulaiman|Soliman:8 صالح:Saleh|Salih:8 قاسم:Qasim|Kassem:6
حمزة:Hamza|Hamzeh:8 بلال:Bilal|Belal:6 أسامة:Osama|Oussama|Usama:8
عبد_العزيز:Abdulaziz|Abdelaziz:6 عبد_الكريم:Abdulkarim|Abdelkarim:6
عبد_القادر:Abdulkader|Abdelkader|Abdul_Qadir:6
نور_الدين:Nour_al-Din|Noureddine|Nureddin:4 عماد:Imad|Emad:6 فراس:Firas|Feras:6
ماهر:Maher:6 مازن:Mazen:5 جهاد:Jihad|Jehad:5 رياض:Riad|Riyad:5 عادل:Adel:6
كريم:Karim|Kareem:5 عدنان:Adnan:5 منير:Munir|Mounir:4 نبيل:Nabil|Nabeel:5
هشام:Hisham|Hicham:5 وليد:Walid|Waleed:6 سعيد:Said|Saeed:6 عيسى:Issa|Eisa:5
موسى:Musa|Moussa:5 إسماعيل:Ismail|Ismael:6 أنس:Anas:6 معاذ:Muath|Moaz:5 يزن:Yazan:5
لؤي:Louay|Luai:4 رضوان:Radwan|Redwan:3 شادي:Shadi|Chadi:5 عثمان:Othman|Osman:5
زكريا:Zakaria|Zakariya:4 جمال:Jamal|Gamal:6 عبد_السلام:Abdulsalam|Abdessalam:3
أبو_بكر:Abu_Bakr|Abou_Bakr:3 صلاح_الدين:Salah_al-Din|Salaheddine:2 منذر:Munther|Monzer:2
ثائر:Thaer|Thaier:2 غياث:Ghiath|Ghiyath:2 مهند:Muhannad|Mohannad:4 أيهم:Ayham:3
قصي:Qusai|Kusay:3 حازم:Hazem:3 عمار:Ammar:5 طلال:Talal:3 فيصل:Faisal|Faysal:3
ناصر:Nasser|Naser:3 حسام:Hussam|Hosam:4 وسام:Wissam|Wesam:3 رائد:Raed:3
زهير:Zuhair|Zouheir:2 عامر:Amer|Aamer:3 هاني:Hani|Hany:3 تيسير:Taysir|Tayseer:2
نضال:Nidal:2"""

FEMALE = """فاطمة:Fatima|Fatma|Fatmeh:60 مريم:Maryam|Mariam:40 زينب:Zainab|Zeinab:25
خديجة:Khadija|Khadijeh:25 عائشة:Aisha|Aysha|Aicha:25 آمنة:Amina|Amneh:15
هبة:Hiba|Heba:15 رنا:Rana:10 رانيا:Rania|Ranya:10 ريم:Reem|Rim:12 سعاد:Souad|Suad:8
هدى:Huda|Houda:10 نور:Nour|Noor:15 أمل:Amal:10 لينا:Lina|Leena:8 ديما:Dima:8 هالة:Hala:8
رشا:Rasha:8 نادية:Nadia|Nadiya:8 سلمى:Salma:8 ياسمين:Yasmin|Yasmine:10
أسماء:Asmaa|Asma:10 رغد:Raghad:8 علا:Ola|Oula:6 صفاء:Safaa|Safa:6 وفاء:Wafaa|Wafa:6
لمى:Lama:6 بتول:Batoul|Batul:6 سوسن:Sawsan|Sousan:5 سناء:Sanaa|Sana:6 منى:Mona|Muna:8
سمر:Samar:8 سارة:Sara|Sarah:12 إيمان:Iman|Eman:10 غادة:Ghada:6 حنان:Hanan:8 جنى:Jana:8
شهد:Shahd:6 ملك:Malak:6 رهف:Rahaf:6 دعاء:Duaa|Doaa:6 آلاء:Alaa|Ala'a:6
بشرى:Bushra|Boushra:5 نسرين:Nisreen|Nesrin:6 عبير:Abeer|Abir:6 ولاء:Walaa:5
إسراء:Israa|Esraa:6 روان:Rawan:6 سهام:Siham|Seham:4 عبلة:Abla:3 نجلاء:Najlaa:3
ميساء:Maysaa|Maisa:4 لبنى:Lubna|Loubna:4 رقية:Ruqayya|Rokaya:4 حلا:Hala|Hela:3
تسنيم:Tasnim|Tasneem:4 بيان:Bayan:4 ضحى:Duha|Doha:3 عفاف:Afaf:3 كوثر:Kawthar|Kawsar:3
نهى:Noha|Nuha:4 وعد:Waad|Wa'ad:3 إلهام:Elham|Ilham:3"""

FAMILY = """حلبي:Halabi:20 شامي:Shami|Chami:18 حموي:Hamwi|Hamawi:15 مصري:Masri:15 خطيب:Khatib:15
أحمد:Ahmad:15 علي:Ali:15 حسن:Hassan:12 حسين:Hussein:10 عمر:Omar:10 خليل:Khalil:10
سيد:Sayed|Sayyed:10 أسعد:Asaad|As'ad:8 زعبي:Zoubi|Zubi:10 حريري:Hariri:8
نجار:Najjar|Najar:10 حداد:Haddad:10 عطار:Attar:8 دباغ:Dabbagh:6 قاسم:Kassem|Qasim:8
إبراهيم:Ibrahim:8 جاسم:Jassem|Jasim:8 محمد:Mohammed|Mohamad:10 صالح:Saleh:8
رفاعي:Rifai|Refai:6 كردي:Kurdi|Kourdi:8 شيخ:Sheikh|Cheikh:8 دمشقي:Dimashqi|Demashki:5
إدلبي:Idlibi|Edlebi:6 حمصي:Homsi|Hemsi:8 عبد_الله:Abdullah|Abdallah:8 موسى:Mousa|Musa:6
عيسى:Issa:6 خضر:Khader|Khudr:6 أسود:Aswad:4 بيطار:Bitar|Baytar:6 طحان:Tahhan:5
سقا:Saqqa|Sakka:4 جندي:Jundi|Jendi:5 حاج:Hajj|Haj:6 خالد:Khaled:6
شهابي:Shihabi|Chehabi:4 قدسي:Qudsi|Kudsi:4 حكيم:Hakim:5 زيدان:Zeidan|Zaidan:5
حمدان:Hamdan:6 عثمان:Othman|Osman:5 سليمان:Suleiman:6 بكري:Bakri:5 حجازي:Hijazi|Hejazi:5
شحادة:Shehadeh|Chehade:6 جمعة:Jumaa|Jomaa:6 عبود:Abboud|Abbud:6 قباني:Kabbani|Qabbani:4
طرابلسي:Trabulsi|Tarabulsi:4 درويش:Darwish|Darwiche:6 سعدي:Saadi:4 عمري:Omari|Amri:6
نعسان:Naasan:3 ملا:Mulla|Molla:4 صباغ:Sabbagh:5 سمان:Samman:4 خياط:Khayyat|Khayat:5
فارس:Fares|Faris:5 يوسف:Youssef|Yousef:6 منصور:Mansour|Mansur:6 سويد:Sweid:3
زين:Zein|Zain:4 بركات:Barakat:5 عساف:Assaf:4 كيالي:Kayali|Kayyali:4 مراد:Murad|Mourad:5
شعار:Shaar:3 ساعاتي:Saati:3 دالاتي:Dalati:3 قصاب:Kassab|Qassab:5 طويل:Tawil:4
أيوبي:Ayoubi:4"""

PLACES = """حلب:Halab حمص:Homs حماة:Hama إدلب:Idlib دير_الزور:Deir_ez-Zor الرقة:Raqqa درعا:Daraa
دوما:Douma داريا:Darayya الزبداني:Zabadani معرة_النعمان:Maarat_al-Numan سراقب:Saraqib منبج:Manbij
الباب:al-Bab تدمر:Tadmur القصير:Qusayr جسر_الشغور:Jisr_al-Shughur"""

# Towns that give families their nisba (Afrini, Arihawi...): the long tail of family names.
TOWNS = """عفرين:Afrin اعزاز:Azaz جرابلس:Jarablus مارع:Marea أريحا:Ariha سرمدا:Sarmada بنش:Binnish
كفرنبل:Kafranbel مورك:Morek سلمية:Salamiyah مصياف:Masyaf طرطوس:Tartus بانياس:Baniyas جبلة:Jableh
قطنا:Qatana يبرود:Yabroud قارة:Qara رنكوس:Rankous مضايا:Madaya بقين:Bqin حرستا:Harasta عربين:Arbin
سقبا:Saqba زملكا:Zamalka جوبر:Jobar ببيلا:Babila نوى:Nawa إنخل:Inkhil طفس:Tafas بصرى:Busra
ازرع:Izraa شهبا:Shahba تلكلخ:Talkalakh تلبيسة:Talbiseh محردة:Mhardeh كفرزيتا:Kafrzita حريتان:Hraytan
عندان:Anadan تادف:Tadef دارة:Darat قباسين:Qabasin الميادين:Mayadin البوكمال:Bukamal عامودا:Amuda
القامشلي:Qamishli الحسكة:Hasakah رأس_العين:Ras_al-Ain تل_أبيض:Tal_Abyad معرشورين:Maarshurin"""

# How Syrians and Lebanese write names with ث ذ ظ (said s or t, z or d, z) beside the classical
# th/dh spellings (issue 15), and a few more such names: ثامر, whose Levantine "Samer" is also
# سامر's spelling, is a hard negative. `levantine=False` gives the population before issue 15.
LEVANTINE_SPELLINGS = {
    "عثمان": ["Othman", "Osman", "Usman", "Otman"], "هيثم": ["Haitham", "Haysam", "Haytham",
    "Haisam"], "منذر": ["Munther", "Monzer", "Munzer", "Monther"], "معاذ": ["Muath", "Moaz",
    "Muaz", "Moaaz"], "ثائر": ["Thaer", "Saer", "Thaier"], "غياث": ["Ghiath", "Ghiyas",
    "Ghiyath"], "كوثر": ["Kawthar", "Kawsar", "Kausar"],
}  # fmt: skip
LEVANTINE_MALE = """ثامر:Thamer|Samer|Tamer:4 حذيفة:Huthaifa|Huzaifa|Hudhaifa:3
كاظم:Kazem|Kadhim:2 ناظم:Nazem|Nadhim:2 حافظ:Hafez|Hafiz:3"""
LEVANTINE_FEMALE = "ثريا:Thuraya|Soraya|Suraya:3 ذكرى:Zikra|Thikra|Dhikra:2"
LEVANTINE_FAMILY = "ذياب:Diab|Thiab|Dhiab:4"

ARTICLE_FAMILY_SHARE = 0.6
ARABIC_SHARE = 0.55
PAIR_TYPO = 0.05


def parse(table: str, levantine: bool = False) -> list[tuple[str, list[str], float]]:
    """Parse 'arabic:Latin|Variant:weight' entries; '_' in Arabic is a space."""
    rows = []
    for entry in table.split():
        arabic, latin, weight = entry.replace("_", " ").split(":")
        spellings = LEVANTINE_SPELLINGS.get(arabic) if levantine else None
        rows.append((arabic, spellings or latin.split("|"), float(weight)))
    return rows


def parse_places(table: str) -> list[tuple[str, str]]:
    """Parse 'arabic:Latin' entries."""
    return [tuple(e.replace("_", " ").split(":")) for e in table.split()]  # type: ignore[misc]


class Names:
    """Weighted draws of names and their written forms."""

    def __init__(self, rng: random.Random, levantine: bool = True) -> None:
        self.rng, self.levantine = rng, levantine
        self.male = self._table(MALE, LEVANTINE_MALE)
        self.female = self._table(FEMALE, LEVANTINE_FEMALE)
        self.family = self._table(FAMILY, LEVANTINE_FAMILY) + self._derived_families()
        self.places = parse_places(PLACES)
        self._weights = {
            key: [w for *_, w in rows]
            for key, rows in (("m", self.male), ("f", self.female), ("l", self.family))
        }

    def _table(self, table: str, levantine_names: str) -> list[tuple[str, list[str], float]]:
        """Parse a name table, with the Levantine names and spellings in such a population."""
        if not self.levantine:
            return parse(table)
        return parse(table + "\n" + levantine_names, levantine=True)

    def _derived_families(self) -> list[tuple[str, list[str], float]]:
        """Add a long tail of family names made from given names and places (Abu X, X-i)."""
        rows = []
        for arabic, latin, weight in self.male:
            if " " not in arabic:
                rows.append(("أبو " + arabic, ["Abu " + v for v in latin[:1]], weight / 10))
                rows.append((arabic + "ي", [latin[0] + "i"], weight / 12))
        for arabic, latin in parse_places(PLACES) + parse_places(TOWNS):
            if " " not in arabic:
                arabic = arabic.removeprefix("ال").rstrip("اةىه")
                latin = latin.removeprefix("al-")
                latin = (latin[:-1] if latin[-2:] in ("ah", "eh") else latin).rstrip("aeiy")
                rows.append((arabic + "ي", [latin + "i", latin + "y"], 2.0))
        return rows

    def draw(self, kind: str) -> tuple[str, list[str]]:
        """Draw one (Arabic, Latin variants) name of kind m, f or l."""
        table = {"m": self.male, "f": self.female, "l": self.family}[kind]
        arabic, latin, _ = self.rng.choices(table, weights=self._weights[kind])[0]
        return arabic, latin


def write_arabic(name: str, rng: random.Random, family: bool = False) -> str:
    """Write an Arabic name the way a clerk might: hamza, ta marbuta, spacing, article."""
    if family and rng.random() < ARTICLE_FAMILY_SHARE and not name.startswith("أبو"):
        name = "ال" + name
    if rng.random() < 0.5:
        name = name.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if rng.random() < 0.2:
        name = name.replace("ة", "ه")
    if rng.random() < 0.2:
        name = name.replace("ى", "ي")
    if rng.random() < 0.3:
        name = name.replace("عبد ", "عبد").replace(" الدين", "الدين")
    if rng.random() < 0.05:
        name = name.replace("محمد", "محمّد")
    return typo(name, rng, "ابتثجحخدذرزسشصضطظعغفقكلمنهوي")


def write_latin(variants: list[str], rng: random.Random, family: bool = False) -> str:
    """Write a Latin name: a weighted variant, and for families an article style."""
    weights = [1.0 / (i + 1) for i in range(len(variants))]
    name = rng.choices(variants, weights=weights)[0]
    if family and rng.random() < ARTICLE_FAMILY_SHARE and not name.startswith("Abu"):
        style = rng.choice(["Al-", "Al ", "Al", "El ", "El-", "al-"])
        name = style + (name.lower() if style == "Al" else name)
    if rng.random() < 0.2:
        name = name.upper() if rng.random() < 0.5 else name.lower()
    return typo(name, rng, "abcdefghijklmnopqrstuvwyz")


def typo(text: str, rng: random.Random, alphabet: str) -> str:
    """Introduce one keyboard-style error now and then."""
    if rng.random() >= PAIR_TYPO or len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.35:
        return text[:i] + text[i + 1 :]
    if kind < 0.6:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.8:
        return text[:i] + rng.choice(alphabet) + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def make_household(names: Names, hid: int, today: date) -> list[dict]:
    """Return the true members of one household (people, not registrations)."""
    rng = names.rng
    family, head = names.draw("l"), names.draw("m")
    members = []

    def person(sex: str, given, father, mother, fam, age: int, rel: str) -> None:
        born = today - timedelta(days=age * 365 + rng.randrange(365))
        members.append(
            {"true_id": f"P{hid}-{len(members)}", "true_household": f"H{hid}", "sex": sex,
             "given": given, "father": father, "mother": mother, "family": fam,
             "born": born, "relationship": rel}
        )  # fmt: skip

    head_age = rng.randint(22, 70)
    size = min(max(1, int(rng.gauss(5, 2))), 11)
    person("male", head, names.draw("m"), names.draw("f"), family, head_age, "head")
    spouse = names.draw("f")
    if size > 1:
        spouse_family = names.draw("l")
        person("female", spouse, names.draw("m"), names.draw("f"), spouse_family,
               max(18, head_age - rng.randint(0, 10)), "spouse")  # fmt: skip
    for _ in range(max(0, size - 2)):
        sex = rng.choice(["male", "female"])
        child_age = rng.randint(0, max(0, min(30, head_age - 18)))
        taken = {m["given"][0] for m in members}
        given = names.draw("m" if sex == "male" else "f")
        while given[0] in taken:  # parents never give two of their children one name
            given = names.draw("m" if sex == "male" else "f")
        person(sex, given, head, spouse, family, child_age, "child")
    if rng.random() < 0.08:
        person("female", names.draw("f"), names.draw("m"), names.draw("f"), names.draw("l"),
               head_age + rng.randint(20, 30), "grandparent")  # fmt: skip
    return members


def write_person(truth: dict, reg: dict, rng: random.Random, today: date) -> dict:
    """Return one registration record of a person, with the errors of a real registration."""
    arabic = reg["arabic"]

    def write(name: tuple[str, list[str]], family: bool = False) -> str:
        return write_arabic(name[0], rng, family) if arabic else write_latin(name[1], rng, family)

    age = (today - truth["born"]).days // 365
    record = {
        "id": f"R{reg['seq']}-{truth['true_id']}", "given_name": write(truth["given"]),
        "father_name": write(truth["father"]) if rng.random() > 0.05 else "",
        "mother_name": write(truth["mother"]) if rng.random() > 0.2 else "",
        "family_name": write(truth["family"], family=True),
        "sex": truth["sex"] if rng.random() > 0.02 else "unknown",
        "date_of_birth": "", "age_years": "", "phone": reg["phone"], "id_number": "",
        "origin": reg["origin"], "household_id": reg["household_id"], "station": reg["station"],
        "true_id": truth["true_id"], "true_household": truth["true_household"],
    }  # fmt: skip
    if rng.random() < 0.03:
        record["given_name"], record["family_name"] = record["family_name"], record["given_name"]
    if rng.random() < (0.7 if age < 18 else 0.3):
        born = truth["born"]
        if rng.random() < 0.05 and born.day <= 12:
            born = date(born.year, born.day, born.month)
        elif rng.random() < 0.03:
            born = date(born.year + rng.choice([-1, 1]), born.month, min(born.day, 28))
        record["date_of_birth"] = born.isoformat()
    elif rng.random() < 0.97:
        estimate = age if age < 15 else round(rng.gauss(age, 1 + age / 15))
        if age >= 15 and rng.random() < 0.4:
            estimate = 5 * round(estimate / 5)
        record["age_years"] = str(max(0, estimate))
    if age >= 18 and rng.random() < 0.2:
        record["id_number"] = truth.setdefault("id_number", f"{rng.randrange(10**10):010d}")
    return record


def generate(n_records: int, seed: int = 1, levantine: bool = True) -> list[dict]:
    """Return about n_records registration records with ground-truth columns.

    With levantine=False, names with ث ذ ظ are spelled as before issue 15 (th, dh only).
    """
    rng = random.Random(seed)
    names, today = Names(rng, levantine), date(2026, 11, 1)
    records: list[dict] = []
    hid = seq = 0
    while len(records) < n_records:
        hid += 1
        members = make_household(names, hid, today)
        place = rng.choice(names.places)
        phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.7 else ""
        times = 1 + (rng.random() < 0.15) + (rng.random() < 0.04)
        for time in range(times):
            seq += 1
            reg = {"seq": seq, "arabic": rng.random() < ARABIC_SHARE,
                   "household_id": f"HH{seq}", "station": f"S{rng.randint(1, 6)}",
                   "phone": write_phone(phone, rng), "origin": place[0] if rng.random() < 0.5
                   else place[1]}  # fmt: skip
            keep = members if time == 0 else [m for m in members if rng.random() < 0.85]
            records.extend(write_person(m, reg, rng, today) for m in keep)
        for member in members:
            if rng.random() < 0.03:
                seq += 1
                reg = {"seq": seq, "arabic": rng.random() < ARABIC_SHARE, "household_id":
                       f"HH{seq}", "station": f"S{rng.randint(1, 6)}", "phone": "",
                       "origin": ""}  # fmt: skip
                records.append(write_person(member, reg, rng, today))
    rng.shuffle(records)
    return records[:n_records]


def write_phone(phone: str, rng: random.Random) -> str:
    """Write a phone number in one of the formats people give, or leave it out."""
    if not phone or rng.random() < 0.3:
        return ""
    style = rng.random()
    if style < 0.5:
        return phone
    if style < 0.8:
        return "+963 " + phone[1:4] + " " + phone[4:]
    return "00963" + phone[1:]


FIELDS = ["id", "given_name", "father_name", "mother_name", "family_name", "sex",
          "date_of_birth", "age_years", "phone", "id_number", "origin", "household_id",
          "station", "true_id", "true_household"]  # fmt: skip


def write_csv(records: list[dict], path: str) -> None:
    """Write records with the ground-truth columns to a UTF-8 CSV."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(records)


if __name__ == "__main__":
    size, out = int(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    write_csv(generate(size, seed, "--plain" not in sys.argv), out)
