"""The registrations JSON API: an event's people and its registration questions, /api/v1/events/<slug>/...

The same pydantic models as the back-office forms validate every body; the same services decide.
Anyone who runs the event reads; only its organisers (and admins) change. A bearer token
authenticates alone; a browser session needs its CSRF token on every write (`auth.authenticate_request`).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import NotFound
from ..extensions import csrf, db
from ..manage.access import event_to_manage, event_to_see_people
from ..payloads import json_body
from ..wire import ModelT, isoformat_utc, validate
from . import fields as form_fields
from . import imports, people, services
from .models import Registration
from .schemas import (
    FieldDefinition,
    ImportRequest,
    ModeChange,
    ParticipantAdd,
)

bp = Blueprint("registrations_api", __name__, url_prefix="/api/v1/events/<slug>")
csrf.exempt(bp)  # cookie writes are still checked by auth.authenticate_request


def _body(schema: type[ModelT]) -> ModelT:
    return validate(schema, json_body())


def registration_json(registration: Registration) -> dict:
    user = registration.user
    return {
        "id": registration.id,
        "mode": registration.mode,
        "status": registration.status,
        "answers": registration.answers or {},
        "created_at": isoformat_utc(registration.created_at),
        "status_changed_at": isoformat_utc(registration.status_changed_at),
        "user": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "organisation": user.organisation,
            "country": user.country,
        },
    }


def field_json(field) -> dict:
    return {
        "id": field.id,
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "choices": field.choices,
        "required": field.required,
        "help_text": field.help_text,
        "notice": field.notice,
        "position": field.position,
    }


def _registration(event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound("registration_not_found", "this event has no such registration")
    return registration


@bp.get("/registrations")
def list_registrations(slug: str):
    event = event_to_see_people(slug)
    page = people.search_people(db.session, event, people.PeopleQuery.from_args(request.args))
    return jsonify(
        {
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "registrations": [registration_json(r) for r, _ in page.rows],
        }
    )


@bp.post("/registrations")
def add_registration(slug: str):
    event = event_to_manage(slug)
    body = _body(ParticipantAdd)
    answers = form_fields.clean_answers(
        form_fields.fields_of(db.session, event), body.answers, enforce_required=False
    )
    registration, created = people.add_participant(db.session, event, body, answers)
    return jsonify({"registration": registration_json(registration), "account_created": created}), 201


@bp.patch("/registrations/<int:registration_id>")
def change_registration(slug: str, registration_id: int):
    event = event_to_manage(slug)
    registration = _registration(event, registration_id)
    services.change_mode(db.session, registration, _body(ModeChange).mode, by_organiser=True)
    return jsonify({"registration": registration_json(registration)})


_ACTIONS = {"approve": services.approve, "decline": services.decline, "cancel": services.cancel_registration}


@bp.post("/registrations/<int:registration_id>/<any(approve, decline, cancel):action>")
def act_on_registration(slug: str, registration_id: int, action: str):
    event = event_to_manage(slug)
    registration = _registration(event, registration_id)
    _ACTIONS[action](db.session, registration)
    return jsonify({"registration": registration_json(registration)})


@bp.post("/registrations/import")
def import_registrations(slug: str):
    """`dry_run: true` gives the preview (every bad row by line, what each row would do); then apply."""
    event = event_to_manage(slug)
    body = _body(ImportRequest)
    if body.dry_run:
        plan = imports.plan_import(db.session, event, body.csv_text)
        db.session.rollback()
        return jsonify(
            {
                "ok": plan.ok,
                "digest": plan.digest(),
                "problems": [{"line": line, "message": message} for line, message in plan.problems],
                "answer_columns": plan.answer_columns,
                "ignored_columns": plan.ignored_columns,
                "rows": [
                    {
                        "line": r.line,
                        "email": r.email,
                        "action": r.action,
                        "status": r.status,
                        "mode": r.mode,
                        "changes": r.changes,
                    }
                    for r in plan.rows
                ],
            }
        ), 200 if plan.ok else 422
    result = imports.apply_import(
        db.session,
        event,
        body.csv_text,
        expected_digest=body.preview_digest,
        invite=body.invitations == "now",
    )
    return jsonify(
        {
            "rows": result.rows,
            "users_created": result.users_created,
            "registrations_created": result.registrations_created,
            "already_registered": result.already_registered,
            "changed": result.changed,
            "waitlisted": result.waitlisted,
            "invited": result.invited,
        }
    )


@bp.get("/registration-fields")
def list_fields(slug: str):
    event = event_to_see_people(slug)
    return jsonify({"fields": [field_json(f) for f in form_fields.fields_of(db.session, event)]})


@bp.post("/registration-fields")
def add_field(slug: str):
    event = event_to_manage(slug)
    return jsonify(
        {"field": field_json(form_fields.add_field(db.session, event, _body(FieldDefinition)))}
    ), 201


@bp.put("/registration-fields/<int:field_id>")
def update_field(slug: str, field_id: int):
    event = event_to_manage(slug)
    field = form_fields.get_field(db.session, event, field_id)
    return jsonify({"field": field_json(form_fields.update_field(db.session, field, _body(FieldDefinition)))})


@bp.delete("/registration-fields/<int:field_id>")
def remove_field(slug: str, field_id: int):
    event = event_to_manage(slug)
    form_fields.remove_field(db.session, form_fields.get_field(db.session, event, field_id))
    return "", 204
