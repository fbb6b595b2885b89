"""The matchmaking JSON API under /api/v1/events/<slug>/matchmaking (Bearer tokens, or the session
cookie plus the CSRF header), validated by the same models as the forms."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..errors import ServiceError
from ..extensions import db
from ..manage.access import current_account, event_to_manage
from ..payloads import json_body, parse
from ..programme.services import get_event
from . import live, meetings, services
from .schemas import (
    FollowUpIn,
    InterestIn,
    MeetingAnswer,
    MeetingIn,
    MeetingProposal,
    PracticeIn,
    PracticeUpdate,
    SessionsIn,
)

bp = Blueprint("matchmaking_api", __name__, url_prefix="/api/v1/events/<slug>/matchmaking")


def _event(slug: str):
    return get_event(db.session, slug, viewer=current_user)


def _practice_json(practice) -> dict:
    user = current_user if current_user.is_authenticated else None
    return services.practice_json(
        practice, with_people=services.may_edit_practice(db.session, user, practice)
    )


@bp.get("/practices")
def practices(slug: str):
    """The published practices (and, for organisers, the hidden ones) with their interested countries."""
    event = _event(slug)
    user = current_user if current_user.is_authenticated else None
    from ..grants import checks

    listed = services.practices_of(
        db.session, event, include_hidden=checks.can_manage(db.session, user, event)
    )
    return jsonify({"practices": [_practice_json(p) for p in listed]})


@bp.post("/practices")
def create_practice(slug: str):
    event = _event(slug)
    user = current_account()
    practice = services.create_practice(db.session, event, user, parse(PracticeIn, json_body()))
    live.practice_changed(practice)
    return jsonify(_practice_json(practice)), 201


@bp.route("/practices/<int:practice_id>", methods=["GET", "PATCH", "DELETE"])
def practice(slug: str, practice_id: int):
    event = _event(slug)
    user = current_user if current_user.is_authenticated else None
    found = services.get_practice(db.session, event, practice_id, user)
    if request.method == "GET":
        return jsonify(_practice_json(found))
    user = current_account()
    if request.method == "DELETE":
        services.delete_practice(db.session, found, user)
        live.practice_removed(event.id, practice_id)
        return "", 204
    services.update_practice(db.session, found, user, parse(PracticeUpdate, json_body()))
    live.practice_changed(found)
    return jsonify(_practice_json(found))


@bp.route("/practices/<int:practice_id>/interest", methods=["POST", "DELETE"])
def interest(slug: str, practice_id: int):
    """POST {wants, note[, country]}: the caller's country's interest (201 new, 200 joined);
    DELETE: the caller withdraws."""
    event = _event(slug)
    user = current_account()
    found = services.get_practice(db.session, event, practice_id, user)
    if request.method == "DELETE":
        services.withdraw_interest(db.session, found, user)
        live.practice_changed(found)
        return "", 204
    outcome = services.express_interest(db.session, found, user, parse(InterestIn, json_body()))
    live.interest_changed(outcome.interest)
    body = services.interest_json(outcome.interest)
    return jsonify(
        {**body, "joined_existing": not outcome.new_interest}
    ), 201 if outcome.new_interest else 200


@bp.get("/table")
def table(slug: str):
    """The matchmaking table: ?track=<id>&country=<code>."""
    event = _event(slug)
    result = services.matchmaking_table(db.session, event, services.TableFilter.from_args(request.args))
    return jsonify(
        {
            "practices": [
                {
                    **services.practice_json(row.practice),
                    "interests": [services.interest_json(i) for i in row.interests],
                    "possibilities": row.possibilities,
                }
                for row in result.rows
            ],
            "possibilities": result.possibilities,
            "by_status": dict(result.by_status),
        }
    )


@bp.get("/totals")
def totals(slug: str):
    return jsonify(services.totals(db.session, _event(slug)))


@bp.post("/possibilities/<int:interest_id>/follow-up")
def follow_up(slug: str, interest_id: int):
    """{status?, note?}: the practice's owner and organisers move a possibility or add a dated note."""
    event = _event(slug)
    user = current_account()
    interest = services.get_possibility(db.session, event, interest_id)
    services.get_practice(db.session, event, interest.practice_id, user)
    note = services.follow_up(db.session, interest, user, parse(FollowUpIn, json_body()))
    return jsonify({**services.interest_json(interest, with_people=True), "note": services.note_json(note)})


@bp.route("/sessions", methods=["GET", "PUT"])
def sessions(slug: str):
    """The sessions whose live page and screen follow the matchmaking (organisers)."""
    event = event_to_manage(slug)
    if request.method == "PUT":
        services.set_matchmaking_sessions(db.session, event, parse(SessionsIn, json_body()).session_ids)
    return jsonify({"session_ids": services.matchmaking_session_ids(db.session, event.id)})


@bp.route("/meetings", methods=["GET", "POST"])
def meeting_list(slug: str):
    event = _event(slug)
    user = current_account()
    if request.method == "POST":
        meeting = meetings.request_meeting(db.session, event, user, parse(MeetingIn, json_body()))
        return jsonify(meetings.meeting_json(meeting, user.id)), 201
    return jsonify(
        {
            "meetings": [
                meetings.meeting_json(m, user.id) for m in meetings.meetings_of(db.session, event, user)
            ]
        }
    )


@bp.put("/meetings/availability")
def availability(slug: str):
    """{"open": true|false}: whether anyone at the event may ask the caller for a meeting."""
    event = _event(slug)
    user = current_account()
    body = json_body()
    if not isinstance(body.get("open"), bool):
        raise ServiceError("invalid_request", 'send {"open": true} or {"open": false}', fields=["open"])
    return jsonify({"open": meetings.set_open_to_meetings(db.session, event, user, body["open"])})


@bp.post("/meetings/<int:meeting_id>/<action>")
def meeting_action(slug: str, meeting_id: int, action: str):
    """accept / decline {revision}, propose {revision, starts_at, duration_minutes[, place|link]}, cancel."""
    event = _event(slug)
    user = current_account()
    meeting = meetings.get_meeting(db.session, event, meeting_id, user)
    if action == "accept":
        meetings.accept(db.session, meeting, user, parse(MeetingAnswer, json_body()))
    elif action == "decline":
        meetings.decline(db.session, meeting, user, parse(MeetingAnswer, json_body()))
    elif action == "propose":
        meetings.propose(db.session, meeting, user, parse(MeetingProposal, json_body()))
    elif action == "cancel":
        meetings.cancel(db.session, meeting, user)
    else:
        raise ServiceError("unknown_action", "no such action on a meeting", status=404)
    return jsonify(meetings.meeting_json(meeting, user.id))
