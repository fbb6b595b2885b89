"""The OpenAPI 3.1 description of /api/v1, built from the app's own routes and the pydantic models
that validate the requests, and a reference page rendered from it.

- Paths, methods and path parameters come from the URL map (every rule under /api/v1), so a new
  route appears by itself; `<int:...>` is an integer 1..MAX_DB_ID, `<any(a, b):...>` an enum.
- Request bodies and the documented answers are the pydantic models the views use (`REQUEST_BODIES`,
  `RESPONSES`: which model belongs to which view, not a second copy of any model); a test checks
  that every write route has its entry, and schemathesis checks the whole description against the
  running app.
- Every error is `{"error": {"code", "message", "details"?}}` (`default` response).

GET /api/v1/openapi.json serves the description, GET /api/v1/docs the reference page.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .checkin.schemas import CheckinListIn, ScanIn, ScanOut, SyncIn, SyncOut, UndoIn, UndoOut
from .db_types import MAX_DB_ID
from .documents.schemas import DocumentIn, DocumentUpdate
from .feedback.views import FeedbackIn
from .interpretation.schemas import ChannelIn
from .matchmaking.schemas import (
    AvailabilityIn,
    FollowUpIn,
    InterestIn,
    MeetingAnswer,
    MeetingIn,
    MeetingProposal,
    PracticeIn,
    PracticeUpdate,
    SessionsIn,
)
from .programme.schemas import EventCreateIn, EventIn, GrantIn, SessionIn, SpeakerIn, TrackIn
from .registrations.schemas import FieldDefinition, ImportRequest, ModeChange, ParticipantAdd
from .rooms.polls.schemas import PollTranslations

PREFIX = "/api/v1"
OWN_ENDPOINTS = ("openapi.openapi_json", "openapi.reference")
CACHE = "conference.openapi"

# endpoint -> {method: the model its view validates the JSON body with}
REQUEST_BODIES: dict[str, dict[str, type[BaseModel]]] = {
    "checkin_api.scan": {"POST": ScanIn},
    "checkin_api.sync": {"POST": SyncIn},
    "checkin_api.undo": {"POST": UndoIn},
    "checkin_manage_api.api_create": {"POST": CheckinListIn},
    "checkin_manage_api.api_one": {"PATCH": CheckinListIn},
    "programme_manage_api.create_event": {"POST": EventCreateIn},
    "programme_manage_api.update_event": {"PATCH": EventIn},
    "programme_manage_api.create_track": {"POST": TrackIn},
    "programme_manage_api.update_track": {"PATCH": TrackIn},
    "programme_manage_api.create_session": {"POST": SessionIn},
    "programme_manage_api.update_session": {"PATCH": SessionIn},
    "programme_manage_api.create_speaker": {"POST": SpeakerIn},
    "programme_manage_api.update_speaker": {"PATCH": SpeakerIn},
    "programme_manage_api.create_grant": {"POST": GrantIn},
    "interpretation_api.create_channel": {"POST": ChannelIn},
    "interpretation_api.update_channel": {"PATCH": ChannelIn},
    "registrations_api.add_registration": {"POST": ParticipantAdd},
    "registrations_api.change_registration": {"PATCH": ModeChange},
    "registrations_api.import_registrations": {"POST": ImportRequest},
    "registrations_api.add_field": {"POST": FieldDefinition},
    "registrations_api.update_field": {"PUT": FieldDefinition},
    "documents_api.one": {"PATCH": DocumentUpdate},
    "feedback.submit_json": {"POST": FeedbackIn},
    "matchmaking_api.create_practice": {"POST": PracticeIn},
    "matchmaking_api.practice": {"PATCH": PracticeUpdate},
    "matchmaking_api.interest": {"POST": InterestIn},
    "matchmaking_api.follow_up": {"POST": FollowUpIn},
    "matchmaking_api.sessions": {"PUT": SessionsIn},
    "polls_api.put_translations": {"PUT": PollTranslations},
    "matchmaking_api.meeting_list": {"POST": MeetingIn},
    "matchmaking_api.availability": {"PUT": AvailabilityIn},
    "matchmaking_api.accept_meeting": {"POST": MeetingAnswer},
    "matchmaking_api.decline_meeting": {"POST": MeetingAnswer},
    "matchmaking_api.propose_meeting": {"POST": MeetingProposal},
}
# Bodies that are not one JSON model: a multipart upload (the form fields are DocumentIn's), a file.
MULTIPART_BODIES: dict[str, dict[str, type[BaseModel]]] = {"documents_api.create": {"POST": DocumentIn}}
RAW_JSON_BODIES = {"schedule_api.import_schedule": {"POST": "a frab/pretalx schedule.json document"}}
# Writes without a body (the URL says everything).
NO_BODY = {
    "checkin_api.reissue",
    "programme_manage_api.publish",
    "programme_manage_api.unpublish",
    "registrations_api.act_on_registration",
    "matchmaking_api.cancel_meeting",
}
# endpoint -> {method: {status: model}} for the answers that have a model of their own.
RESPONSES: dict[str, dict[str, dict[str, type[BaseModel]]]] = {
    "checkin_api.scan": {"POST": {"200": ScanOut, "422": ScanOut}},
    "checkin_api.sync": {"POST": {"200": SyncOut}},
    "checkin_api.undo": {"POST": {"200": UndoOut}},
}
QUERY_PARAMETERS: dict[str, list[tuple[str, str]]] = {
    "checkin_api.lists": [("event", "only the lists of this event (its slug)")],
    "registrations_api.list_registrations": [
        ("q", "search in names, e-mail addresses and organisations"),
        ("mode", "in_person | online"),
        ("status", "a registration status"),
        ("country", "an ISO country code"),
        ("page", "the page, from 1"),
    ],
    "attendance_api.attendance": [("by", "break the figures down by a registration question's key")],
    "schedule_api.import_schedule": [("dry_run", "1: answer what the import would do, write nothing")],
    "schedule_api.schedule_json": [
        (
            "lang",
            "en | ar | zh | fr | ru | es: titles and descriptions translated (see docs/schedule-files.md)",
        )
    ],
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable"},
                "message": {"type": "string", "description": "for people"},
                "details": {"type": "object"},
            },
        }
    },
}
ANY_OBJECT = {"type": "object", "description": "a JSON object (see docs/ for its fields)"}
_CONVERTER = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")

bp = Blueprint("openapi", __name__, url_prefix=PREFIX)


def _path_and_parameters(rule: str) -> tuple[str, list[dict]]:
    parameters = []

    def replace(match: re.Match) -> str:
        converter, name = match.group("converter") or "default", match.group("name")
        if converter == "int":
            schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_DB_ID}
        elif converter == "any":
            schema = {
                "type": "string",
                "enum": [a.strip().strip("'\"") for a in match.group("args").split(",")],
            }
        else:
            schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(replace, rule[len(PREFIX) :] or "/"), parameters


def _success_statuses(method: str) -> tuple[str, ...]:
    return {"POST": ("200", "201"), "DELETE": ("200", "204")}.get(method, ("200",))


def _operation(endpoint: str, method: str, path_parameters: list[dict], refs: dict) -> dict:
    view = current_app.view_functions[endpoint]
    doc = (view.__doc__ or "").strip()
    operation: dict[str, Any] = {
        "operationId": f"{endpoint}.{method.lower()}",
        "summary": doc.splitlines()[0] if doc else endpoint.split(".")[-1].replace("_", " "),
        "tags": [endpoint.split(".")[0].removesuffix("_api").replace("_manage", "")],
        "parameters": [
            *path_parameters,
            *(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in QUERY_PARAMETERS.get(endpoint, [])
            ),
        ],
        "responses": {},
    }
    if doc:
        operation["description"] = doc
    model = REQUEST_BODIES.get(endpoint, {}).get(method)
    form = MULTIPART_BODIES.get(endpoint, {}).get(method)
    raw = RAW_JSON_BODIES.get(endpoint, {}).get(method)
    if model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(model, "validation")]}},
        }
    elif form is not None:
        schema = form.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("title", None)
        schema["properties"] = {
            **schema.get("properties", {}),
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
        }
        schema["required"] = [*schema.get("required", []), "file"]
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    elif raw is not None:
        operation["requestBody"] = {
            "required": True,
            "description": raw,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    documented = RESPONSES.get(endpoint, {}).get(method, {})
    for status in _success_statuses(method):
        if status == "204":
            operation["responses"][status] = {"description": "done, nothing to say"}
            continue
        schema = refs[(documented[status], "serialization")] if status in documented else ANY_OBJECT
        operation["responses"][status] = {
            "description": "done",
            "content": {"application/json": {"schema": schema}},
        }
    for status, response_model in documented.items():
        if status not in operation["responses"]:
            operation["responses"][status] = {
                "description": "answered (see the body)",
                "content": {
                    "application/json": {
                        "schema": {
                            "anyOf": [
                                refs[(response_model, "serialization")],
                                {"$ref": "#/components/schemas/Error"},
                            ]
                        }
                    }
                },
            }
    operation["responses"]["default"] = {
        "description": "refused: the error's code says why",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return operation


def build_description(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every /api/v1 route of `app`."""
    inputs: set[tuple[type[BaseModel], JsonSchemaMode]] = {
        (m, "validation")
        for table in (REQUEST_BODIES, MULTIPART_BODIES)
        for by in table.values()
        for m in by.values()
    }
    outputs: set[tuple[type[BaseModel], JsonSchemaMode]] = {
        (m, "serialization")
        for by in RESPONSES.values()
        for statuses in by.values()
        for m in statuses.values()
    }
    keys = sorted(inputs | outputs, key=lambda key: (key[0].__name__, key[1]))
    refs, definitions = models_json_schema(keys, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    with app.app_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.rule.startswith(PREFIX + "/") or rule.endpoint in OWN_ENDPOINTS:
                continue
            path, parameters = _path_and_parameters(rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                paths.setdefault(path, {})[method.lower()] = _operation(
                    rule.endpoint, method, parameters, refs
                )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "conference API",
            "version": "1",
            "description": "The JSON API of the conference platform. Devices and scripts send "
            "`Authorization: Bearer <token>`; a browser session needs its CSRF token on every write.",
        },
        "servers": [{"url": PREFIX}],  # paths below are relative to it
        "paths": paths,
        "components": {
            "schemas": {**definitions.get("$defs", {}), "Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }


def description() -> dict:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's documented accessor
    if CACHE not in app.extensions:
        app.extensions[CACHE] = build_description(app)
    return app.extensions[CACHE]


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(description())


@bp.get("/docs")
def reference():
    """The API reference, rendered on the server from the same description (no script, no CDN)."""
    spec = description()
    operations = [
        (path, method.upper(), operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]
    return render_template(
        "api/reference.html", spec=spec, operations=operations, schemas=spec["components"]["schemas"]
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
