"""Matchmaking pages: the table (with filters, CSV and a printable view), practices and their
expressions of interest and follow-up, meetings, and each person's agenda with its .ics."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import login_required
from ..countries import country_name
from ..errors import ServiceError
from ..extensions import db
from ..grants import checks
from ..i18n.content import form_translations, language_choices, localized
from ..i18n.messages import page_field_errors, page_message
from ..i18n.selection import current_language
from ..payloads import form_data, parse
from ..programme.services import event_sessions, get_event
from ..schedule.calendar import CalendarEntry, event_calendar
from ..schedule.views import calendar_response, event_base_url
from ..wire import PRACTICE_TITLE_MAX
from . import live, meetings, services
from .exports import table_csv
from .models import FOLLOW_UP, FOLLOW_UP_LABELS, MEETING_MODES, MEETING_STATUS_LABELS, WANT_LABELS, WANTS
from .schemas import (
    SUMMARY_MAX,
    TRANSLATABLE,
    FollowUpIn,
    InterestIn,
    MeetingAnswer,
    MeetingIn,
    MeetingProposal,
    PracticeIn,
    PracticeUpdate,
)

bp = Blueprint("matchmaking", __name__)


def _event(slug: str):
    return get_event(db.session, slug, viewer=current_user)


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def field_errors(exc: ServiceError) -> dict:
    """The form's messages in the viewer's language."""
    return page_field_errors(exc)


def links_from_form(text: str | None) -> list[dict]:
    """One link a line, as "title | https://..." or just the address."""
    links = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        title, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        links.append({"title": title.strip(), "url": url.strip()})
    return links


def practice_form() -> tuple[dict, dict]:
    """(what the pydantic model gets, what the form shows again after an error)."""
    values = form_data()
    translations = form_translations(values, TRANSLATABLE)
    shown = {k: v for k, v in values.items() if not k.startswith("tr-")}
    shown["translations"] = translations
    data = {k: v for k, v in shown.items() if k not in ("links",)}
    data["links"] = links_from_form(values.get("links"))
    return data, shown


# --- the table -----------------------------------------------------------------------------------


def _table_context(event):
    filters = services.TableFilter.from_args(request.args)
    table = services.matchmaking_table(db.session, event, filters)
    return {
        "event": event,
        "table": table,
        "filters": filters,
        "tracks": event.tracks,
        "status_labels": FOLLOW_UP_LABELS,
        "want_labels": WANT_LABELS,
        "statuses": FOLLOW_UP,
    }


@bp.get("/events/<slug>/matchmaking")
def table(slug: str):
    event = _event(slug)
    user = _user()
    context = _table_context(event)
    return render_template(
        "matchmaking/table.html",
        **context,
        registered=services.is_registered(db.session, user, event),
        may_manage=checks.can_manage(db.session, user, event),
        my_practices=[
            p
            for p in services.practices_of(db.session, event, include_hidden=True)
            if user and p.owner_id == user.id
        ],
    )


@bp.get("/events/<slug>/matchmaking/print")
def printable(slug: str):
    event = _event(slug)
    return render_template("matchmaking/print.html", **_table_context(event))


@bp.get("/events/<slug>/matchmaking/table.csv")
def table_export(slug: str):
    event = _event(slug)
    context = _table_context(event)
    return Response(
        table_csv(event, context["table"]),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-matchmaking.csv"',
            "Cache-Control": "no-store",
        },
    )


# --- practices -----------------------------------------------------------------------------------


def _practice_form_page(event, *, practice=None, errors=None, values=None, status=200):
    return render_template(
        "matchmaking/practice_form.html",
        event=event,
        practice=practice,
        sessions=[s for s in event_sessions(db.session, event) if not s.parent_id],
        tracks=event.tracks,
        errors=errors or {},
        values=values or {},
        may_manage=checks.can_manage(db.session, _user(), event),
        translations_field={
            "name": "translations",
            "texts": [("title", "Title", PRACTICE_TITLE_MAX), ("summary", "Summary", SUMMARY_MAX)],
            "languages": language_choices(),
        },
    ), status


@bp.route("/events/<slug>/matchmaking/practices/new", methods=["GET", "POST"])
@login_required
def new_practice(slug: str):
    event = _event(slug)
    services.ensure_may_offer(db.session, _user(), event)
    if request.method == "GET":
        return _practice_form_page(
            event, values={"country": current_user.country or "", "organisation": current_user.organisation}
        )
    data, shown = practice_form()
    try:
        practice = services.create_practice(db.session, event, _user(), parse(PracticeIn, data))
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        return _practice_form_page(event, errors=field_errors(exc), values=shown, status=exc.status)
    live.practice_changed(practice)
    flash(_("“%(title)s” is on the matchmaking table.", title=practice.title), "success")
    return redirect(url_for("matchmaking.practice", slug=event.slug, practice_id=practice.id), 303)


@bp.route("/events/<slug>/matchmaking/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@login_required
def edit_practice(slug: str, practice_id: int):
    event = _event(slug)
    practice = services.get_practice(db.session, event, practice_id, _user())
    if not services.may_edit_practice(db.session, _user(), practice):
        raise ServiceError(
            "forbidden", "only the practice's owner or the organisers may change it", status=403
        )
    if request.method == "GET":
        values = {
            "title": practice.title,
            "summary": practice.summary,
            "country": practice.country,
            "organisation": practice.organisation,
            "track_id": str(practice.track_id or ""),
            "session_id": str(practice.session_id or ""),
            "links": "\n".join(f"{link['title']} | {link['url']}" for link in practice.links or []),
            "translations": practice.translations or {},
        }
        return _practice_form_page(event, practice=practice, values=values)
    data, shown = practice_form()
    for name in ("track_id", "session_id", "summary", "organisation"):
        data.setdefault(name, "" if name in ("summary", "organisation") else None)
    data.setdefault("title", "")
    try:
        services.update_practice(db.session, practice, _user(), parse(PracticeUpdate, data))
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        return _practice_form_page(
            event, practice=practice, errors=field_errors(exc), values=shown, status=exc.status
        )
    live.practice_changed(practice)
    flash(_("The practice was saved."), "success")
    return redirect(url_for("matchmaking.practice", slug=event.slug, practice_id=practice.id), 303)


@bp.post("/events/<slug>/matchmaking/practices/<int:practice_id>/visibility")
@login_required
def moderate_practice(slug: str, practice_id: int):
    """Organisers hide a practice from the table, or show it again."""
    event = _event(slug)
    practice = services.get_practice(db.session, event, practice_id, _user())
    status: Literal["published", "hidden"] = (
        "hidden" if request.form.get("status") == "hidden" else "published"
    )
    services.update_practice(db.session, practice, _user(), PracticeUpdate(status=status))
    live.practice_changed(practice)
    if status == "hidden":
        flash(_("“%(title)s” is hidden.", title=practice.title), "success")
    else:
        flash(_("“%(title)s” is shown on the table.", title=practice.title), "success")
    if request.form.get("next_page") == "manage":
        return redirect(url_for("matchmaking_manage.overview", slug=event.slug), 303)
    return redirect(url_for("matchmaking.practice", slug=event.slug, practice_id=practice.id), 303)


@bp.post("/events/<slug>/matchmaking/practices/<int:practice_id>/delete")
@login_required
def delete_practice(slug: str, practice_id: int):
    event = _event(slug)
    practice = services.get_practice(db.session, event, practice_id, _user())
    title = practice.title
    services.delete_practice(db.session, practice, _user())
    live.practice_removed(event.id, practice_id)
    flash(_("“%(title)s” was deleted.", title=title), "success")
    return redirect(url_for("matchmaking.table", slug=event.slug), 303)


def _practice_page(event, practice, *, errors=None, values=None, status=200):
    user = _user()
    may_edit = services.may_edit_practice(db.session, user, practice)
    mine = None
    if user is not None:
        mine = next((m for i in practice.interests for m in i.members if m.user_id == user.id), None)
    return render_template(
        "matchmaking/practice.html",
        event=event,
        practice=practice,
        interests=sorted(practice.interests, key=lambda i: country_name(i.country)),
        may_edit=may_edit,
        may_manage=checks.can_manage(db.session, user, event),
        registered=services.is_registered(db.session, user, event),
        my_interest=mine,
        own_country=bool(user and user.country and user.country == practice.country),
        open_to_meetings=practice.owner_id is not None
        and meetings.open_to_meetings(db.session, event, practice.owner_id),
        wants=WANTS,
        want_labels=WANT_LABELS,
        status_labels=FOLLOW_UP_LABELS,
        transitions=services.TRANSITIONS,
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/events/<slug>/matchmaking/practices/<int:practice_id>")
def practice(slug: str, practice_id: int):
    event = _event(slug)
    return _practice_page(event, services.get_practice(db.session, event, practice_id, _user()))


@bp.post("/events/<slug>/matchmaking/practices/<int:practice_id>/interest")
@login_required
def express_interest(slug: str, practice_id: int):
    event = _event(slug)
    practice = services.get_practice(db.session, event, practice_id, _user())
    values = form_data()
    data = {k: v for k, v in values.items() if k in ("note", "country")}
    data["wants"] = request.form.getlist("wants")
    try:
        outcome = services.express_interest(db.session, practice, _user(), parse(InterestIn, data))
    except ServiceError as exc:
        if exc.status not in (400, 403, 409):
            raise
        db.session.rollback()
        return _practice_page(event, practice, errors=field_errors(exc), values=values, status=exc.status)
    live.interest_changed(outcome.interest)
    if outcome.new_interest:
        flash(_("Your country's interest is recorded."), "success")
    else:
        flash(_("You are added to your country's expression of interest."), "success")
    return redirect(url_for("matchmaking.practice", slug=event.slug, practice_id=practice.id), 303)


@bp.post("/events/<slug>/matchmaking/practices/<int:practice_id>/interest/withdraw")
@login_required
def withdraw_interest(slug: str, practice_id: int):
    event = _event(slug)
    practice = services.get_practice(db.session, event, practice_id, _user())
    services.withdraw_interest(db.session, practice, _user())
    live.practice_changed(practice)
    flash(_("You withdrew your interest."), "success")
    return redirect(url_for("matchmaking.practice", slug=event.slug, practice_id=practice.id), 303)


@bp.post("/events/<slug>/matchmaking/possibilities/<int:interest_id>/follow-up")
@login_required
def follow_up(slug: str, interest_id: int):
    event = _event(slug)
    interest = services.get_possibility(db.session, event, interest_id)
    practice = services.get_practice(db.session, event, interest.practice_id, _user())
    values = {k: v for k, v in form_data().items() if k != "next_page"}
    try:
        services.follow_up(db.session, interest, _user(), parse(FollowUpIn, values))
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        return _practice_page(
            event,
            practice,
            errors={f"follow-{interest_id}": [page_message(exc)]},
            values=values,
            status=exc.status,
        )
    flash(
        _(
            "%(practice)s × %(country)s: %(status)s.",
            practice=interest.practice.title,
            country=interest.country,
            status=str(FOLLOW_UP_LABELS[interest.status]).lower(),
        ),
        "success",
    )
    back = request.form.get("next_page")
    if back == "manage":
        return redirect(
            url_for("matchmaking_manage.overview", slug=event.slug) + f"#possibility-{interest.id}", 303
        )
    return redirect(
        url_for("matchmaking.practice", slug=event.slug, practice_id=practice.id)
        + f"#possibility-{interest.id}",
        303,
    )


# --- meetings and the personal agenda ------------------------------------------------------------


def _meetings_page(event, *, errors=None, values=None, status=200):
    user = _user()
    return render_template(
        "matchmaking/meetings.html",
        event=event,
        meetings=meetings.meetings_of(db.session, event, user),
        people=meetings.people_open_to_meetings(db.session, event, besides=user.id),
        practices=services.practices_of(db.session, event),
        open_to_meetings=meetings.open_to_meetings(db.session, event, user.id),
        registered=services.is_registered(db.session, user, event),
        modes=MEETING_MODES,
        errors=errors or {},
        values=values or {},
    ), status


@bp.route("/events/<slug>/meetings", methods=["GET", "POST"])
@login_required
def meetings_page(slug: str):
    event = _event(slug)
    if request.method == "GET":
        values = {k: request.args[k] for k in ("recipient_id", "practice_id") if k in request.args}
        return _meetings_page(event, values=values)
    values = form_data()
    try:
        meeting = meetings.request_meeting(db.session, event, _user(), parse(MeetingIn, values))
    except ServiceError as exc:
        if exc.status not in (400, 403, 404, 409):
            raise
        db.session.rollback()
        return _meetings_page(event, errors=field_errors(exc), values=values, status=exc.status)
    flash(_("Your request was sent to %(name)s.", name=meeting.recipient.name), "success")
    return redirect(url_for("matchmaking.meetings_page", slug=event.slug), 303)


@bp.post("/events/<slug>/meetings/availability")
@login_required
def availability(slug: str):
    event = _event(slug)
    open_ = request.form.get("open") == "1"
    meetings.set_open_to_meetings(db.session, event, _user(), open_)
    flash(
        _("Anyone at the event may now ask you for a meeting.")
        if open_
        else _("Only the owners of practices take meeting requests; you no longer do unless you own one."),
        "success",
    )
    return redirect(url_for("matchmaking.meetings_page", slug=event.slug), 303)


@bp.post("/events/<slug>/meetings/<int:meeting_id>/<action>")
@login_required
def answer_meeting(slug: str, meeting_id: int, action: str):
    event = _event(slug)
    user = _user()
    meeting = meetings.get_meeting(db.session, event, meeting_id, user)
    values = form_data()
    try:
        if action == "accept":
            meetings.accept(db.session, meeting, user, parse(MeetingAnswer, values))
            message = _("Meeting accepted: it is in both your agendas.")
        elif action == "decline":
            meetings.decline(db.session, meeting, user, parse(MeetingAnswer, values))
            message = _("Meeting declined.")
        elif action == "propose":
            meetings.propose(db.session, meeting, user, parse(MeetingProposal, values))
            message = _("Your new time was sent.")
        elif action == "cancel":
            meetings.cancel(db.session, meeting, user)
            message = _("Meeting cancelled.")
        else:
            raise ServiceError("unknown_action", "no such action on a meeting", status=404)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        return _meetings_page(
            event, errors={f"meeting-{meeting_id}": [page_message(exc)]}, values=values, status=exc.status
        )
    flash(message, "success")
    return redirect(url_for("matchmaking.meetings_page", slug=event.slug) + f"#meeting-{meeting_id}", 303)


def _agenda(event, user):
    sessions = [s for s in event_sessions(db.session, event) if not s.parent_id]
    accepted = meetings.meetings_of(db.session, event, user, statuses=("accepted",))
    items = [("session", s.starts_at, s) for s in sessions] + [("meeting", m.starts_at, m) for m in accepted]
    items.sort(key=lambda item: (item[1], 0 if item[0] == "session" else 1))
    return items, accepted


@bp.get("/events/<slug>/my-agenda")
@login_required
def my_agenda(slug: str):
    event = _event(slug)
    items, accepted = _agenda(event, _user())
    return render_template("matchmaking/agenda.html", event=event, items=items, meetings_count=len(accepted))


def meeting_entry(meeting, user_id: int, meetings_url: str) -> CalendarEntry:
    other = meeting.other(user_id)
    who = other.name + (f" ({other.organisation})" if other.organisation else "")
    lines = [_("With %(name)s", name=who)]
    if meeting.practice is not None:
        lines.append(_("About: %(practice)s", practice=localized(meeting.practice, "title")))
    if meeting.note:
        lines.append(meeting.note)
    if meeting.mode == "online":
        lines.append(_("Online: %(link)s", link=meeting.link))
    return CalendarEntry(
        uid=f"meeting-{meeting.id}-event-{meeting.event_id}@conference.invalid",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        summary=_("Meeting with %(name)s", name=other.name),
        description="\n\n".join(lines),
        location=meeting.place if meeting.mode == "in_person" else meeting.link,
        url=meetings_url,
    )


@bp.get("/events/<slug>/my-agenda.ics")
@login_required
def my_agenda_ics(slug: str):
    event = _event(slug)
    user = _user()
    url = url_for("matchmaking.meetings_page", slug=event.slug, _external=True)
    entries = [
        meeting_entry(m, user.id, url)
        for m in meetings.meetings_of(db.session, event, user, statuses=("accepted",))
    ]
    language = current_language()
    body = event_calendar(
        db.session,
        event,
        base_url=event_base_url(event),
        entries=entries,
        name=_("%(title)s · my agenda", title=localized(event, "title", language)),
        language=language,
    )
    response = calendar_response(body, f"{event.slug}-my-agenda.ics", per_viewer=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def matchmaking_totals(event):
    """For the event page."""
    return services.totals(db.session, event)


def is_matchmaking_session(session) -> bool:
    """For the live page and the screen: whether this session's room follows the matchmaking."""
    return services.is_matchmaking_session(db.session, session)


@bp.app_context_processor
def _helpers():
    return {
        "matchmaking_totals": matchmaking_totals,
        "is_matchmaking_session": is_matchmaking_session,
        "mm_status_labels": FOLLOW_UP_LABELS,
        "meeting_status_labels": MEETING_STATUS_LABELS,
    }
