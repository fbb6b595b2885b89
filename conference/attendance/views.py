"""Attendance pages for the people who run the event: the live dashboard, the report, charts and CSV."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from ..auth import login_required
from ..countries import m49_subregion
from ..db_types import utcnow
from ..extensions import db
from ..programme.services import get_event
from . import breakdown, charts, exports, services
from .access import ensure_can_see_attendance, grace_seconds
from .wording import duration_words

bp = Blueprint("attendance", __name__)
TOP_COUNTRIES = 15


@bp.context_processor
def _helpers() -> dict:
    return {"duration_words": duration_words, "m49_subregion": m49_subregion}


def _today_or_first_day(event) -> date:
    days = services.event_days(event)
    today = utcnow().astimezone(event.tz).date()
    return today if today in days else days[0]


def _day_arg(event) -> date:
    raw = request.args.get("day")
    if raw is None:
        return _today_or_first_day(event)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, "day must be a date such as 2030-05-06")
    if day not in services.event_days(event):
        abort(404, "that day is not a day of the event")
    return day


def time_chart(series: services.TimeSeries):
    title = f"People present, {series.day.strftime('%A %-d %B')} (per {series.step_minutes} minutes)"
    return charts.line_chart(
        title,
        series.labels,
        [
            charts.Series("Online", series.online, charts.ONLINE_COLOUR),
            charts.Series("On site", series.on_site, charts.ON_SITE_COLOUR, dashed=True),
        ],
        label_every=max(1, 60 // series.step_minutes),
    )


def report_charts(report: services.Report) -> dict:
    t = report.totals
    countries = [(c.name, c.count) for c in t.countries[:TOP_COUNTRIES]]
    return {
        "modes": charts.mode_chart(
            "Participants by mode",
            online_only=t.online - t.hybrid,
            hybrid=t.hybrid,
            on_site_only=t.on_site - t.hybrid,
        ),
        "regions": charts.paired_bar_chart(
            "Participants by UN M49 region, online and on site",
            [(r.name, r.online, r.on_site) for r in t.regions],
        ),
        "countries": charts.bar_chart(f"Participants by country (top {TOP_COUNTRIES})", countries),
        "sessions": charts.paired_bar_chart(
            "Attendees per session, online and on site",
            [(s.title, s.online, s.on_site) for s in report.sessions],
        ),
    }


def _event(slug: str):
    event = get_event(db.session, slug)
    ensure_can_see_attendance(db.session, current_user, event)
    return event


@bp.get("/events/<slug>/attendance")
@login_required
def dashboard(slug: str):
    event = _event(slug)
    report = services.report_off_hub(event, grace_seconds=grace_seconds())
    day = _today_or_first_day(event)
    series = services.time_series(db.session, event, day, step_minutes=15, grace_seconds=grace_seconds())
    return render_template(
        "attendance/dashboard.html",
        event=event,
        report=report,
        day=day,
        chart=time_chart(series),
        initial=services.report_json(report),
    )


@bp.get("/events/<slug>/attendance/report")
@login_required
def report_page(slug: str):
    event = _event(slug)
    report = services.report_off_hub(event, grace_seconds=grace_seconds())
    day_charts = []
    for day in services.event_days(event):
        series = services.time_series(db.session, event, day, grace_seconds=grace_seconds())
        day_charts.append((day, time_chart(series) if any(series.online) or any(series.on_site) else None))
    by = request.args.get("by", "")
    return render_template(
        "attendance/report.html",
        event=event,
        report=report,
        day_charts=day_charts,
        charts=report_charts(report),
        by=by,
        by_fields=breakdown.breakdown_fields(db.session, event),
        breakdown=breakdown.breakdown(db.session, event, by, grace_seconds=grace_seconds()) if by else None,
    )


@bp.get("/events/<slug>/attendance/timeline.svg")
@login_required
def timeline_svg(slug: str):
    event = _event(slug)
    step = request.args.get("step", "15")
    if not step.isdigit():
        abort(400, "step must be 5, 10, 15, 30 or 60 (minutes)")
    series = services.time_series(
        db.session, event, _day_arg(event), step_minutes=int(step), grace_seconds=grace_seconds()
    )
    return Response(str(time_chart(series)), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/events/<slug>/attendance/sessions.csv")
@login_required
def sessions_csv(slug: str):
    event = _event(slug)
    report = services.report_off_hub(event, grace_seconds=grace_seconds())
    return _csv(exports.sessions_csv(report), f"{event.slug}-attendance-sessions.csv")


@bp.get("/events/<slug>/attendance/participants.csv")
@login_required
def participants_csv(slug: str):
    event = _event(slug)
    rows = services.participant_rows(db.session, event, grace_seconds=grace_seconds())
    return _csv(exports.participants_csv(event, rows), f"{event.slug}-attendance-participants.csv")


@bp.get("/events/<slug>/attendance/stays.csv")
@login_required
def stays_csv(slug: str):
    event = _event(slug)
    stays = services.stay_rows(db.session, event, grace_seconds=grace_seconds())
    return _csv(exports.stays_csv(event, stays), f"{event.slug}-attendance-stays.csv")
