"""Name normalisation: in-script folding, the cross-script skeleton, similarity, phones."""

import pytest

from sync.names import (
    name_tokens,
    normalize,
    normalize_phone,
    reading_tokens,
    readings_of_normalized,
    similarity,
    skeleton,
)

# Each row: spellings of one name, in Arabic and in Latin letters, that must share a skeleton.
SAME_NAME = [
    ("محمد", "محمّد", "مُحَمَّد", "Mohammed", "Muhammad", "Mohamad", "Mohamed", "Mouhamad", "Mhd"),
    ("أحمد", "احمد", "Ahmad", "Ahmed"),
    ("علي", "Ali", "Aly"),
    ("عمر", "Omar", "Umar"),
    ("يوسف", "Yousef", "Yusuf", "Youssef", "Yousif"),
    ("حسن", "Hassan", "Hasan"),
    ("حسين", "Hussein", "Husain", "Hussain", "Husayn"),
    ("خالد", "Khaled", "Khalid"),
    ("شامي", "الشامي", "Chami", "Shami", "Al-Shami", "Ash-Shami", "El Chami"),
    ("الحلبي", "الحلبى", "حلبي", "Al-Halabi", "Halabi", "El Halabi", "Alhalabi", "al halabi"),
    (
        "عبد الرحمن",
        "عبدالرحمن",
        "Abdulrahman",
        "Abd al-Rahman",
        "Abdel Rahman",
        "Abdelrahman",
        "Abdul Rahman",
        "Abdurrahman",
        "Abd ar-Rahman",
    ),
    ("عبد الله", "عبدالله", "Abdullah", "Abdallah", "Abd Allah", "Abdulla"),
    ("عبد العزيز", "Abdulaziz", "Abdelaziz", "Abd al-Aziz"),
    ("عبد الكريم", "Abdulkarim", "Abdelkarim", "Abd al-Karim"),
    ("عبد اللطيف", "Abdullatif", "Abdulatif", "Abd al-Latif"),
    ("عبد القادر", "Abdulkader", "Abdelkader", "Abdul Qadir"),
    ("عبد السلام", "Abdulsalam", "Abdessalam", "Abd al-Salam"),
    ("أبو بكر", "ابوبكر", "Abu Bakr", "Abou Bakr", "Aboubakr"),
    ("نور الدين", "Nour al-Din", "Noureddine", "Nureddin", "Nour El Din"),
    ("صلاح الدين", "Salah Eddine", "Salahuddin", "Salah al-Din"),
    ("فاطمة", "فاطمه", "Fatima", "Fatma", "Fatmeh"),
    ("مريم", "Maryam", "Mariam", "Meryem"),
    ("زينب", "Zainab", "Zeinab", "Zaynab"),
    ("خديجة", "Khadija", "Khadijeh", "Khadeeja"),
    ("عائشة", "عايشة", "Aisha", "Aysha", "Aicha"),
    ("إبراهيم", "ابراهيم", "Ibrahim", "Ebrahim"),
    ("مصطفى", "Mustafa", "Moustafa", "Mostafa"),
    ("حمزة", "Hamza", "Hamzeh"),
    ("طارق", "Tariq", "Tarek", "Tarik"),
    ("بشار", "Bashar", "Bachar"),
    ("غسان", "Ghassan", "Ghasan"),
    ("جميل", "Jamil", "Jameel", "Djamil"),
    ("وائل", "Wael", "Wa'el"),
    ("أيمن", "Ayman", "Aiman"),
    ("إياد", "Iyad", "Eyad"),
    ("زياد", "Ziad", "Ziyad"),
    ("مروان", "Marwan"),
    ("هيثم", "Haitham", "Haytham"),
    ("أسامة", "Oussama", "Usama", "Osama"),
    ("لؤي", "Louay", "Luai", "Loay"),
    ("صالح", "Saleh", "Salih"),
    ("قاسم", "Qasim", "Kassem", "Kasem"),
    ("سعاد", "Souad", "Suad", "Su'ad"),
    ("هبة", "Hiba", "Heba"),
    ("رغد", "Raghad"),
    ("ياسمين", "Yasmin", "Yasmine", "Yasmeen"),
    ("الحموي", "Al-Hamwi", "Hamwi", "El Hamawi"),
    ("المصري", "Al-Masri", "Masri", "El Masri"),
    ("الخطيب", "Al-Khatib", "Khatib", "El Khatib"),
    ("الأحمد", "Al-Ahmad", "Alahmad"),
    ("العلي", "Al-Ali", "Alali"),
    ("أبو زيد", "Abu Zeid", "Abou Zaid"),
    ("الياس", "Elias"),
    ("إلهام", "Elham"),
    ("طه", "Taha"),
    ("سهيل", "Suhail", "Souhail"),
    ("إسحاق", "Ishaq", "Is'haq"),
    ("فتحي", "Fathi", "Fat'hi"),
    ("نادين", "Nadine"),
]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda row: row[1] if len(row) > 1 else "")
def test_spellings_of_one_name_share_a_skeleton(spellings: tuple[str, ...]) -> None:
    keys = {spelling: skeleton(spelling) for spelling in spellings}
    assert len(set(keys.values())) == 1, keys
    assert all(keys.values())


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda row: row[1] if len(row) > 1 else "")
def test_spellings_of_one_name_are_similar(spellings: tuple[str, ...]) -> None:
    first = spellings[0]
    for other in spellings[1:]:
        assert similarity(first, other) >= 0.95, other


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        ("محمّد عبد الرحمن الحلبى", "Mohamad Abdulrahman Halabi"),
        ("محمد الحلبي", "Mohamad Halabi"),
        ("أحمد عبد الله الشامي", "Ahmad Abdallah Chami"),
        ("فاطمة الزهراء المصري", "Fatima al-Zahraa El Masri"),
    ],
)
def test_full_names_match_across_scripts(arabic: str, latin: str) -> None:
    assert skeleton(arabic) == skeleton(latin)
    assert similarity(arabic, latin) == 1.0


@pytest.mark.parametrize(
    ("name", "other", "variant"),
    [
        ("Mohammed", "Mahmoud", "Muhammad"),
        ("Ali", "Alia", "Aly"),
        ("Hassan", "Hussein", "Hasan"),
        ("محمد", "محمود", "محمّد"),
        ("علي", "عالية", "علي"),
        ("حسن", "حسين", "حسن"),
        ("Omar", "Ammar", "Umar"),
        ("Samer", "Samir Khalil", "Samir"),
    ],
)
def test_different_names_score_clearly_lower(name: str, other: str, variant: str) -> None:
    assert similarity(name, other) <= 0.93
    assert similarity(name, other) < similarity(name, variant) - 0.05


@pytest.mark.parametrize(
    ("a", "b"),
    [("Khaled", "Ahmad"), ("محمد", "Omar"), ("Fatima", "Zainab"), ("Halabi", "Hamwi")],
)
def test_unrelated_names_have_different_skeletons(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b)
    assert similarity(a, b) < 0.7


def test_normalize_folds_arabic_spelling() -> None:
    assert normalize("مُحَمَّـــد") == "محمد"
    assert normalize("أحمد إبراهيم آمنة ٱلله") == normalize("احمد ابراهيم امنه الله")
    assert normalize("فاطمة") == normalize("فاطمه")
    assert normalize("مصطفى") == normalize("مصطفي")
    assert normalize("مؤمن لؤي") == "مومن لوي"
    assert normalize("٠١٢٣٤٥٦٧٨٩") == "0123456789"


def test_normalize_folds_latin_spelling() -> None:
    assert normalize("  José  Ça-Va  ") == "jose ca va"
    assert normalize("Wa'el Ala’a") == "wael alaa"
    assert normalize("ABD. AL-RAHMAN") == "abdalrahman"


def test_normalize_joins_compounds_and_keeps_article_consistently() -> None:
    assert normalize("عبد الرحمن") == normalize("عبدالرحمن") == "عبدالرحمن"
    assert normalize("عبد ال رحمن") == "عبدالرحمن"
    assert normalize("أبو بكر") == "ابوبكر"
    assert len(normalize("Abd al-Rahman").split()) == 1
    assert len(normalize("Abdul Rahman").split()) == 1
    assert len(normalize("Abu Bakr").split()) == 1
    assert normalize("Al-Halabi") == normalize("El Halabi") == normalize("Alhalabi")


def test_empty_input() -> None:
    for empty in (None, "", "  ", "-'.", "ـــ"):
        assert normalize(empty) == ""
        assert skeleton(empty) == ""
        assert name_tokens(empty) == []
        assert similarity(empty, "Ali") == 0.0


def test_name_tokens_are_the_skeleton_tokens() -> None:
    assert name_tokens("محمد عبد الرحمن الحلبي") == ["MHMD", "BDRHMN", "HLB"]
    assert name_tokens("Mohamad Abdulrahman Halabi") == ["MHMD", "BDRHMN", "HLB"]


def test_similarity_ignores_order_and_is_symmetric() -> None:
    assert similarity("Halabi Mohammed", "محمد الحلبي") == 1.0
    assert similarity("Khaled", "Khalil") == similarity("Khalil", "Khaled")


def test_skeleton_is_ascii_uppercase() -> None:
    key = skeleton("ثائر ذياب غياث خضر ظافر ضياء")
    assert key.replace(" ", "").isascii() and key == key.upper()


# Issue 15: Syrians say ث as s or t, ذ as z or d, ظ as z, and write the names that way; English
# spellings write ذ as th, ظ as dh. Each row: an Arabic name, then Latin spellings of it.
LEVANTINE = [
    ("عثمان", "Osman", "Usman", "Othman", "Otman"),
    ("هيثم", "Haysam", "Haisam", "Haitham"),
    ("منذر", "Monzer", "Munzer", "Munther", "Mundhir"),
    ("معاذ", "Moaz", "Muaz", "Muath", "Muadh"),
    ("ثائر", "Saer", "Thaer"),
    ("كوثر", "Kawsar", "Kawthar"),
    ("ذياب", "Diab", "Thiab", "Dhiab"),
    ("كاظم", "Kazem", "Kadhim"),
    ("حذيفة", "Huzaifa", "Hudhaifa", "Huthaifa"),
]


@pytest.mark.parametrize("spellings", LEVANTINE, ids=lambda row: row[1])
def test_levantine_spellings_match_the_arabic_name_across_scripts(spellings) -> None:
    arabic, *latin = spellings
    for spelling in latin:
        assert similarity(arabic, spelling) == similarity(spelling, arabic) == 1.0, spelling
        assert skeleton(spelling) in reading_tokens(arabic)[0], spelling


def test_readings_count_only_across_scripts() -> None:
    assert similarity("ثامر", "سامر") < 0.8  # two names in Arabic
    assert similarity("Thamer", "Samer") < 0.8
    assert similarity("Thomas", "Samas") < 0.8
    assert similarity("ثامر", "Samer") == 1.0  # a Syrian "Samer" may be ثامر
    assert skeleton("عثمان") == "THMN" and skeleton("Osman") == "SMN"


def test_each_token_of_a_full_name_is_read_its_own_way() -> None:
    assert similarity("عثمان منذر الحلبي", "Osman Munther Al-Halabi") == 1.0
    assert similarity("Haysam Monzer", "هيثم منذر") == 1.0
    assert similarity("عثمان الحلبي", "Osman Hamwi") < 0.8


def test_readings_of_a_whole_name_one_per_reading() -> None:
    assert readings_of_normalized(normalize("عثمان الحلبي")) == ("SMN HLB", "TMN HLB", "")
    assert readings_of_normalized(normalize("كاظم")) == ("", "", "KDHM")
    assert readings_of_normalized(normalize("محمد")) == ("", "", "")
    assert readings_of_normalized(normalize("Othman")) == ("", "", "")
    assert reading_tokens("Othman Halabi") == [("THMN",), ("HLB",)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+963 944 123 456", "963944123456"),
        ("00963944123456", "963944123456"),
        ("0944-123-456", "963944123456"),
        ("944123456", "963944123456"),
        ("+963 0944 123 456", "963944123456"),
        ("٠٩٤٤١٢٣٤٥٦", "963944123456"),
        ("+90 532 123 45 67", "905321234567"),
        ("0532 123 45 67", "905321234567"),
        ("+961 3 123 456", "9613123456"),
        ("00961 71 123 456", "96171123456"),
        ("", ""),
        (None, ""),
        ("no phone", ""),
    ],
)
def test_normalize_phone(raw: str | None, expected: str) -> None:
    assert normalize_phone(raw) == expected
