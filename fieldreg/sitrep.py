"""The situation report as a PDF (ReportLab, pure Python): the figures OCHA sitreps ask for.

The PDF is in English, the working language of sitreps; the printable page (/report) is in
the reader's language. ReportLab does not shape Arabic script, so a station name written in
Arabic is replaced by the station code here.
"""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ]
)


def words(key: str | None) -> str:
    """Write a coded value as English words."""
    return (key or "unknown").replace("_", " ").capitalize()


def _table(header: list[str], rows: list[list]) -> Table:
    """Lay out a grid with a shaded header row."""
    table = Table([header, *rows], hAlign="LEFT")
    table.setStyle(GRID)
    return table


def _counts(title: str, counts: dict[str, int], unit: str = "People") -> list:
    """Return a heading and a two-column table of counts (nothing when empty)."""
    if not counts:
        return []
    styles = getSampleStyleSheet()
    rows = [[words(k), n] for k, n in counts.items()]
    return [Paragraph(title, styles["Heading3"]), _table(["", unit], rows)]


def _key_figures(figures: dict) -> list[list]:
    """Return the headline rows: registered, present, departed, unique, wounded."""
    key = [
        ["People registered", figures["people"]],
        ["Households", figures["households"]],
        ["Present at the station", figures["present"]],
        ["Departed", figures["departed"]],
    ]
    unique = figures.get("unique")
    if unique:
        key.append(["Unique people (deduplicated)", unique.get("people")])
        if unique.get("undecided"):
            key.append(["Unique people, at least", unique["people_low"]])
            key.append(["Unique people, at most", unique["people_high"]])
            key.append(["Possible duplicates waiting for review", unique["undecided"]])
    if figures.get("triage"):
        key.append(["Wounded (triaged)", figures["triage"].get("total")])
    people = figures.get("unique_figures")
    if people and figures.get("triage"):
        key.append(["Wounded (unique people, after deduplication)", people["triage"]["total"]])
    once = (figures.get("tracing") or {}).get("unique_registered")
    if people and once:
        key.append(["Children alone (unique people, after deduplication)", once["total"]])
    return key


def unique_sentence(unique: dict) -> str:
    """Say the unique count with the bounds review could still move it to."""
    said = f"{unique['people']:,} unique people"
    pairs = unique.get("undecided") or 0
    if not pairs:
        return said + "; no pair is waiting for review."
    verb = "pair is" if pairs == 1 else "pairs are"
    return (f"{said} (between {unique['people_low']:,} and {unique['people_high']:,} "
            f"until {pairs:,} {verb} reviewed).")  # fmt: skip


def story(figures: dict) -> list:
    """Lay out the report: key figures, SADD table, breakdowns, stations at HQ."""
    styles = getSampleStyleSheet()
    name = figures.get("station_name") or ""
    place = name if name.isascii() and name else (figures.get("station") or "HQ")
    until = figures.get("until")
    # The period's end is exclusive (the day after the last day asked for).
    last = (dt.date.fromisoformat(until[:10]) - dt.timedelta(days=1)).isoformat() if until else ""
    period = f"{figures.get('since') or 'the start'} to {last or 'now'}"
    parts = [
        Paragraph(f"Situation report: {escape(place)}", styles["Title"]),
        Paragraph(
            f"Arrivals from {period}. Generated {figures['generated_at']} UTC.", styles["Normal"]
        ),
        Spacer(1, 4 * mm),
        *(
            [Paragraph(unique_sentence(figures["unique"]), styles["Normal"]), Spacer(1, 2 * mm)]
            if figures.get("unique")
            else []
        ),
        _table(["Figure", "Count"], _key_figures(figures)),
        Paragraph("People by sex and age (SADD)", styles["Heading3"]),
        _table(
            ["Age", "Female", "Male", "Unknown", "Total"],
            [
                [
                    group,
                    *(row.get(sex, 0) for sex in ("female", "male", "unknown")),
                    sum(row.values()),
                ]
                for group, row in figures["by_age_group"].items()
            ],
        ),
    ]
    # At HQ after deduplication, figures about people count unique people (clusters).
    people, note = (figures["unique_figures"], " (unique people, after deduplication)") if (
        figures.get("unique_figures")) else (figures, "")  # fmt: skip
    if figures.get("triage"):
        by_category = people["triage"].get("by_category", {})
        parts += _counts("Wounded by triage category" + note, by_category)
    parts += _counts("Vulnerabilities" + note, people["person_vulnerabilities"])
    needs = people.get("household_vulnerabilities", {})
    parts += _counts("Vulnerabilities of households", needs, "Households")
    parts += _children_alone(figures.get("tracing"))
    parts += _counts("Transport", figures["by_transport"], "Households")
    parts += _counts("Intended destinations", figures["by_destination"], "Households")
    parts += _counts("Departed, by destination", figures["departed_by_destination"])
    parts += _convoys(figures.get("convoys"))
    if figures.get("stations"):
        parts.append(Paragraph("Stations", styles["Heading3"]))
        rows = [[s["station"], s["households"], s["people"]] for s in figures["stations"]]
        parts.append(_table(["Station", "Households", "People"], rows))
    return parts


def _convoys(convoys: dict | None) -> list:
    """Return the convoy totals: vehicles and people, and people per vehicle type."""
    if not convoys:
        return []
    styles = getSampleStyleSheet()
    vehicles, people = convoys["vehicles"], convoys["people"]
    rows = [
        ["Convoys", convoys["convoys"]],
        ["Vehicles expected", vehicles["expected"]],
        ["Vehicles in transit", vehicles["in_transit"]],
        ["Vehicles arrived", vehicles["arrived"]],
        ["Unannounced vehicles", vehicles["unannounced"]],
        ["People boarded", people["boarded"]],
        ["People arrived", people["arrived"]],
        ["People in transit", people["in_transit"]],
    ]
    if people.get("arrived_elsewhere"):  # HQ: of the arrived, found at a station by dedup
        rows.insert(7, ["  of whom found by deduplication", people["arrived_elsewhere"]])
    kinds = [[words(kind), row["vehicles"], row["boarded"], row["arrived"]]
             for kind, row in convoys["by_vehicle_kind"].items()]  # fmt: skip
    return [
        Paragraph("Convoys", styles["Heading3"]),
        _table(["", "Count"], rows),
        Spacer(1, 2 * mm),
        _table(["Vehicle type", "Vehicles", "Boarded", "Arrived"], kinds),
    ]


def _children_alone(tracing: dict | None) -> list:
    """Return the separated and unaccompanied children's table (nothing when none)."""
    if not tracing:
        return []
    styles = getSampleStyleSheet()
    rows = [[label, *(tracing[key].get(k, 0) for k in ("unaccompanied", "separated", "total"))]
            for key, label in (("registered", "Registered"), ("open", "With an open case"),
                               ("matched", "Matched"), ("reunified", "Reunified"))]  # fmt: skip
    days = tracing.get("median_days_to_reunification")
    return [
        Paragraph("Separated and unaccompanied children", styles["Heading3"]),
        _table(["", "Unaccompanied", "Separated", "Total"], rows),
        Paragraph(f"Median days to reunification: {'-' if days is None else days}. "
                  f"Open enquiries: {tracing.get('enquiries_open', 0)}.", styles["Normal"]),
    ]  # fmt: skip


def pdf(figures: dict) -> bytes:
    """Render the situation report as an A4 PDF."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title="FieldReg situation report", author="FieldReg",
        leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
    )  # fmt: skip
    doc.build(story(figures))
    return buffer.getvalue()
