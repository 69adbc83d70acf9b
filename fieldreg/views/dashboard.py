"""Dashboards (station and HQ) and the situation report: figures, charts, printable, PDF."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from fieldreg import charts, i18n, sitrep, stats
from fieldreg.access import requires
from fieldreg.db import get_db

bp = Blueprint("dashboard", __name__)


def period_from_args() -> stats.Period:
    """Read ?since=&until= (dates, until inclusive); refuse anything else with a 400."""
    bounds = []
    for name, extra in (("since", 0), ("until", 1)):
        text = request.args.get(name, "").strip()
        if not text:
            bounds.append(None)
            continue
        try:
            day = dt.date.fromisoformat(text) + dt.timedelta(days=extra)
        except (ValueError, OverflowError):  # 9999-12-31 has no next day
            abort(400, description=_("Dates are written YYYY-MM-DD."))
        bounds.append(day.isoformat())
    return stats.Period(*bounds)


def chart_set(figures: dict) -> dict:
    """Draw the dashboard's charts in the page language and the reader's digits."""
    rtl, fmt, label = i18n.is_rtl(), i18n.num, i18n.label
    bars = lambda counts, cls="": [(label(k), n, cls or k) for k, n in counts.items()]  # noqa: E731
    # At HQ after deduplication the figures about people count unique people (clusters).
    people = figures.get("unique_figures") or figures
    drawn = {
        "arrivals": charts.columns(
            [
                (fmt(row["hour"][11:13] + ":00"), row["people"])
                for row in figures["arrivals_per_hour"]
            ],
            _("People arrived per hour"),
            fmt,
            rtl,
        ),
        "pyramid": charts.pyramid(
            [
                (fmt(g), row.get("female", 0), row.get("male", 0))
                for g, row in figures["by_age_group"].items()
            ],
            (_("Female"), _("Male")),
            _("People by sex and age"),
            fmt,
        ),
        "vulnerabilities": charts.hbars(_vulnerable(people), _("Vulnerabilities"), fmt, rtl),
        "transport": charts.hbars(
            bars(figures["by_transport"]), _("Households by transport"), fmt, rtl
        ),
        "destinations": charts.hbars(
            bars(figures["by_destination"]), _("Households by destination"), fmt, rtl
        ),
        "departed": charts.hbars(
            bars(figures["departed_by_destination"]), _("Departed, by destination"), fmt, rtl
        ),
    }
    if figures.get("triage"):
        drawn["triage"] = charts.hbars(
            bars(people["triage"].get("by_category", {})), _("Wounded by triage"), fmt, rtl
        )
    return drawn


def _vulnerable(figures: dict) -> list[tuple[str, int, str]]:
    """Return the vulnerability bars: people flagged, then households flagged (so labelled),
    each counted once, never the flags (a lone child's household carries the flag too)."""
    rows = [(i18n.label(k), n, "vulnerable") for k, n in figures["person_vulnerabilities"].items()]
    for key, n in figures.get("household_vulnerabilities", {}).items():
        rows.append((_("%(need)s (households)", need=i18n.label(key)), n, "vulnerable"))
    return rows


def _figures(period: stats.Period | None = None) -> dict:
    """Compute the figures this instance shows: HQ's over all stations, or the station's."""
    config = current_app.config
    return stats.figures(get_db(), config["ROLE"], period, config["STATS_MAX_AGE_SECONDS"])


@bp.get("/dashboard")
@requires("dashboard:read")
def dashboard():
    """Show the live figures of the station (or of all stations, at HQ)."""
    figures = _figures()
    template = (
        "dashboard/hq.html" if current_app.config["ROLE"] == "hq" else "dashboard/station.html"
    )
    return render_template(
        template,
        s=figures,
        charts=chart_set(figures),
        refresh=current_app.config["DASHBOARD_REFRESH_SECONDS"],
    )


@bp.get("/dashboard/figures")
@requires("dashboard:read")
def figures():
    """Return the figures block alone, for the page to refresh itself."""
    figures = _figures()
    return render_template("dashboard/_figures.html", s=figures, charts=chart_set(figures))


@bp.get("/report")
@requires("dashboard:read")
def report():
    """Show the situation report for a chosen period, ready to print."""
    period = period_from_args()
    figures = _figures(period)
    return render_template("dashboard/report.html", s=figures, charts=chart_set(figures))


@bp.get("/report.pdf")
@requires("dashboard:read")
def report_pdf():
    """Return the situation report for a chosen period as a PDF."""
    figures = _figures(period_from_args())
    name = f"sitrep-{figures['station'] or 'hq'}-{figures['generated_at'][:10]}.pdf"
    return Response(
        sitrep.pdf(figures),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
