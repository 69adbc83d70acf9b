"""Scanning a tag four ways: keyboard scanner, camera page, photo upload, typing."""

import io

import pytest
from PIL import Image

from fieldreg import codes, scan
from tests.conftest import household_body
from tests.tagphotos import photo

PHOTOS = {
    "straight": {},
    "rotated": {"angle": 33},
    "upside_down": {"angle": 180, "noise": False},
    "scaled_down": {"tag_px": 90},
    "blurred": {"blur": 2.5},
    "rotated_blurred_small": {"angle": -20, "blur": 1.5, "tag_px": 160},
    "png_quarter_turn": {"angle": 90, "fmt": "PNG", "size": (1200, 900)},
}


@pytest.fixture
def hh(client, api):
    return client.post("/api/v1/households", json=household_body(), headers=api).json


def upload(client, data: bytes, headers=None, url="/api/v1/scan", extra=None):
    form = {"image": (io.BytesIO(data), "tag.jpg"), **(extra or {})}
    return client.post(url, data=form, headers=headers, content_type="multipart/form-data")


@pytest.mark.parametrize("name", PHOTOS)
def test_photos_of_tags_decode(name):
    code = codes.make_code("T3S", 4321)
    assert scan.code_in_photo(photo(code, **PHOTOS[name])) == code


def test_scan_api_answers_the_record(client, api, hh, db):
    person = hh["members"][1]
    answer = upload(client, photo(person["code"], angle=15, blur=1), api)
    assert answer.status_code == 200
    assert answer.json["kind"] == "person" and answer.json["code"] == person["code"]
    assert answer.json["record"]["given_name"] == "Zainab"
    assert answer.json["url"].endswith(f"/people/{person['code']}")
    household = upload(client, photo(hh["code"]), api).json
    assert household["kind"] == "household" and len(household["record"]["members"]) == 3
    audit = list(db.query("select * from audit where action = 'view' and tbl = 'people'"))
    assert audit and audit[-1]["record_id"] == person["id"]


def test_photos_are_never_written_to_disk(client, api, hh, monkeypatch):
    import tempfile

    spilled = []
    # Werkzeug spools uploads above 500 KB to an (unnamed) temporary file by rolling over.
    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", lambda self: spilled.append(1))
    big = photo(hh["code"], fmt="PNG", size=(2000, 1500))
    assert len(big) > 3 * 1000 * 1000  # above the app's 2 MB limit for other requests
    assert upload(client, big, api).status_code == 200
    assert spilled == []


def test_bad_photos_are_clear_4xx(client, api, hh, db):
    before = next(db.query("select count(*) n from changes"))["n"]
    not_image = upload(client, b"%PDF-1.4 not a picture", api)
    assert not_image.status_code == 400 and not_image.json["fields"]["image"]
    no_tag = upload(client, photo(hh["code"], tag_px=0 + 1), api)
    assert no_tag.status_code == 400 and "No tag" in no_tag.json["error"]
    other = upload(client, photo("https://example.org/not-ours"), api)
    assert other.status_code == 400 and "not a FieldReg code" in other.json["error"]
    unknown = upload(client, photo(codes.make_code("T3S", 9000)), api)
    assert unknown.status_code == 404
    missing = client.post("/api/v1/scan", data={}, headers=api)
    assert missing.status_code == 400 and "image" in missing.json["fields"]
    assert next(db.query("select count(*) n from changes"))["n"] == before


def test_huge_images_are_413(client, api):
    too_many_bytes = upload(client, b"\xff\xd8" + b"0" * (17 * 1024 * 1024), api)
    assert too_many_bytes.status_code == 413 and too_many_bytes.json["error"]
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000), 1).save(buffer, format="PNG")  # 48 MP, a few KB
    bomb = upload(client, buffer.getvalue(), api)
    assert bomb.status_code == 413 and "large" in bomb.json["error"]


def test_free_tag_scan_says_it_is_unbound(client, api, db):
    from fieldreg import tags
    from fieldreg.db import write

    with write(db):
        free = tags.issue(db, "free", 1)[0]
    answer = upload(client, photo(free), api)
    assert answer.status_code == 200 and answer.json["kind"] == "free"
    assert answer.json["record"] is None


def test_scan_api_needs_login(client, hh):
    assert upload(client, photo(hh["code"])).status_code == 401


def test_photo_page_opens_the_record(client, auth_actions, hh):
    auth_actions.login("registrar")
    page = client.get("/scan/photo").get_data(as_text=True)
    assert 'accept="image/*"' in page and "capture" in page and "data-camera" in page
    assert "<script>" not in page and "onchange" not in page
    sent = upload(
        client,
        photo(hh["members"][0]["code"], angle=45, fmt="PNG", size=(2000, 1500)),
        None,
        "/scan/photo",
        {"csrf_token": auth_actions.csrf()},
    )
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/people/{hh['members'][0]['code']}")
    bad = upload(
        client, b"GIF89a rubbish", None, "/scan/photo", {"csrf_token": auth_actions.csrf()}
    )
    assert bad.status_code == 400 and "not a picture" in bad.get_data(as_text=True)
    blank = upload(
        client,
        photo(hh["code"], tag_px=1),
        None,
        "/scan/photo",
        {"csrf_token": auth_actions.csrf()},
    )
    assert blank.status_code == 400 and "No tag found" in blank.get_data(as_text=True)


def test_keyboard_scanner_field_opens_records_and_refuses_non_codes(client, auth_actions, hh):
    auth_actions.login("registrar")
    page = client.get("/search").get_data(as_text=True)
    assert 'action="/scan"' in page and "data-scan-field" in page
    # A USB scanner types the code then Enter: the field's form sends GET /scan?code=...
    typed = client.get("/scan", query_string={"code": hh["members"][2]["code"]})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(hh["members"][2]["code"])
    for junk in ["hello world", "4006381333931", "T3S-2345"]:
        refused = client.get("/scan", query_string={"code": junk})
        assert refused.status_code == 400 and "not a valid code" in refused.get_data(as_text=True)


def test_typing_a_code_the_check_character_catches_typos(client, auth_actions, hh):
    auth_actions.login("registrar")
    code = hh["members"][0]["code"]
    body = code.replace("-", "")
    swapped = body[:4] + body[5] + body[4] + body[6:]
    wrong = body[:-2] + ("X" if body[-2] != "X" else "Y") + body[-1]
    for typo in {swapped, wrong} - {body}:
        response = client.get("/scan", query_string={"code": typo})
        assert response.status_code == 400
    relaxed = client.get("/scan", query_string={"code": " " + code.lower().replace("-", " ")})
    assert relaxed.status_code == 302


def test_replacement_tag_binds_to_a_registered_person(client, auth_actions, api, hh, db):
    page = client.post("/tags/sheet", data={"count": "2"}, headers=api)  # token: no CSRF
    assert page.status_code in (200, 302)
    free = [r["code"] for r in db.query("select code from codes where kind = 'free'")]
    person = hh["members"][1]["code"]
    bound = client.post(f"/api/v1/people/{person}/tags", json={"tag_code": free[0]}, headers=api)
    assert bound.status_code == 201 and bound.json["record_code"] == person
    again = client.post(f"/api/v1/people/{person}/tags", json={"tag_code": free[0]}, headers=api)
    assert again.status_code == 409
    assert upload(client, photo(free[0]), api).json["record"]["code"] == person
    auth_actions.login("registrar")
    scanned = client.get("/scan", query_string={"code": free[0]})
    assert scanned.headers["Location"].endswith(f"/people/{person}")
    by_form = client.post(
        f"/people/{person}/tags", data={"csrf_token": auth_actions.csrf(), "tag_code": free[1]}
    )
    assert by_form.status_code == 302
    # The codes table is the station's own register of issued tags (it does not sync).
    bound_rows = db.query("select code, kind from codes where code in (?, ?)", free[:2])
    assert {(r["code"], r["kind"]) for r in bound_rows} == {
        (free[0], "person"),
        (free[1], "person"),
    }
    logged = db.query("select detail from audit where action = 'bind_tag'")
    assert {r["detail"] for r in logged} == set(free[:2])


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares a size and holds no pixels: only its header can be read."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_the_pixel_cap_fits_a_phone_photo_and_is_checked_before_decoding(client, api):
    """issue 13: 16 MP passes; a header declaring more is refused without decoding a pixel."""
    over = upload(client, png_header(4700, 3600), api)  # 16.9 MP: refused by its header alone
    assert over.status_code == 413 and over.json["code"] == "too_large"
    assert over.json["fields"] == {"image": ["At most 16 megapixels."]}
    fits = upload(client, png_header(4656, 3496), api)  # a 16 MP sensor's photo
    assert fits.status_code == 400 and fits.json["code"] == "invalid_fields", "decoded (and empty)"
    assert upload(client, png_header(4656, 3496)[:30], api).status_code == 400


def test_only_phone_picture_formats_are_opened(client, api):
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="TIFF")
    assert upload(client, buffer.getvalue(), api).json["fields"] == {
        "image": ["Not an image file."]
    }


def test_at_most_two_photos_are_decoded_at_once(monkeypatch):
    """issue 13: more photos than MAX_DECODES wait their turn (or get 503), never run at once."""
    import threading
    import time

    running, peak, lock = [0], [0], threading.Lock()

    def slow_read(image):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return []

    monkeypatch.setattr(scan, "read_texts", slow_read)
    outcomes = []

    def one():
        try:
            scan.code_in_photo(photo("T3S-2345"))
        except scan.DomainError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert peak[0] == scan.MAX_DECODES == 2
    assert outcomes == ["NoTagFound"] * 6, "waited their turn within DECODE_WAIT_SECONDS"


def test_a_photo_beyond_the_decodes_at_once_gets_503_with_retry_after(client, api, auth_actions,
                                                                     monkeypatch):  # fmt: skip
    monkeypatch.setattr(scan, "DECODE_WAIT_SECONDS", 0.05)
    held = [scan._DECODES.acquire(timeout=1) for _ in range(scan.MAX_DECODES)]
    try:
        answer = upload(client, photo("T3S-2345"), api)
        assert answer.status_code == 503 and answer.json["code"] == "busy"
        assert answer.headers["Retry-After"] == str(scan.RETRY_AFTER_SECONDS)
        auth_actions.login("registrar")
        page = upload(client, photo("T3S-2345"), url="/scan/photo",
                      extra={"csrf_token": auth_actions.csrf()})  # fmt: skip
        assert page.status_code == 503 and page.headers["Retry-After"]
        assert "reading other photos" in page.get_data(as_text=True)
    finally:
        for ok in held:
            if ok:
                scan._DECODES.release()
    assert upload(client, photo("T3S-2345"), api).status_code in (400, 404), "free again"
