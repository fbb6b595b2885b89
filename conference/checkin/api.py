"""The check-in JSON API for scanners: /api/v1/checkin/...

Staff assigned to the event, and admins, only. A bearer token authenticates alone; a browser session
needs its CSRF token on every POST (checked for the whole app in `auth.authenticate_request`).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..accounts.models import User
from ..errors import NotFound
from ..extensions import db
from ..grants.checks import ensure_can_scan, events_run_by
from ..manage.access import current_account
from ..payloads import json_body, parse
from ..programme.services import get_event
from ..registrations.models import Registration
from . import scanning
from . import stats as checkin_stats
from . import sync as offline_sync
from . import undo as undoing
from .auto_checkout import run_due_auto_checkouts
from .badges import reissue_badge
from .lists import get_list, list_as_dict, lists_of
from .schemas import ScanIn, SyncIn, UndoIn

bp = Blueprint("checkin_api", __name__, url_prefix="/api/v1/checkin")


def _scan_request(body: ScanIn, **extra) -> scanning.ScanRequest:
    return scanning.ScanRequest(
        code=body.code,
        list_id=body.list_id,
        scan_id=body.scan_id,
        direction=body.direction,
        gate=body.gate,
        scanned_at=body.scanned_at,
        **extra,
    )


def _status(answer: dict) -> int:
    return 422 if answer["result"] == "invalid_badge" else 200


def _list_for(user: User, list_id: int):
    checkin_list = get_list(db.session, list_id)
    ensure_can_scan(db.session, user, checkin_list.event_id)
    return checkin_list


@bp.post("/scan")
def scan():
    staff = current_account()
    body = parse(ScanIn, json_body())
    answer = scanning.scan(db.session, staff, _scan_request(body))
    return jsonify(answer), _status(answer)


@bp.post("/undo")
def undo():
    staff = current_account()
    body = parse(UndoIn, json_body())
    return jsonify(undoing.undo(db.session, staff, body.scan_id, body.undo_id))


@bp.post("/sync")
def sync():
    staff = current_account()
    body = parse(SyncIn, json_body())
    requests = [_scan_request(item, offline=True, offline_result=item.offline_result) for item in body.scans]
    return jsonify(offline_sync.sync(db.session, staff, requests))


@bp.get("/lists")
def lists():
    """The lists of the events this user may scan at (`?event=<slug>` for one event)."""
    staff = current_account()
    slug = request.args.get("event")
    if slug:
        event = get_event(db.session, slug)
        ensure_can_scan(db.session, staff, event.id)
        events = [event]
    else:
        events = events_run_by(db.session, staff, roles=("organiser", "staff"))
    return jsonify({"lists": [list_as_dict(c) for e in events for c in lists_of(db.session, e.id)]})


@bp.get("/lists/<int:list_id>/stats")
def stats(list_id: int):
    checkin_list = _list_for(current_account(), list_id)
    run_due_auto_checkouts(db.session)
    return jsonify(checkin_stats.list_stats(db.session, checkin_list))


@bp.get("/lists/<int:list_id>/offline")
def offline(list_id: int):
    """Everything a scanner needs to keep deciding when the network is gone."""
    checkin_list = _list_for(current_account(), list_id)
    return jsonify(offline_sync.offline_snapshot(db.session, checkin_list))


@bp.get("/events/<slug>/stats")
def event_stats(slug: str):
    staff = current_account()
    event = get_event(db.session, slug)
    ensure_can_scan(db.session, staff, event.id)
    run_due_auto_checkouts(db.session)
    return jsonify(
        {
            "event_id": event.id,
            "lists": checkin_stats.event_stats(db.session, event.id),
            "conflicts": offline_sync.conflicts_of(db.session, event.id),
        }
    )


@bp.post("/registrations/<int:registration_id>/reissue")
def reissue(registration_id: int):
    """A lost badge: bump the version so the old code is refused, and return the new version."""
    staff = current_account()
    registration = db.session.get(Registration, registration_id)  # <int:> stops ids past MAX_DB_ID
    if registration is None:
        raise NotFound("registration_not_found", f"there is no registration {registration_id}")
    ensure_can_scan(db.session, staff, registration.event_id)
    version = reissue_badge(db.session, registration, staff.id)
    return jsonify({"registration_id": registration_id, "version": version})
