"""The organisers' pages for a session's interpretation channels, reached from the session's form
(where its stream is set): add, change and remove a channel. The same `ChannelIn` as the JSON API;
a refusal shows beside its field with what was typed (HTTP 400 / 409)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import login_required
from ..extensions import db
from ..i18n.locales import LANGUAGES, language_name
from ..manage.access import event_to_manage
from ..programme import services as programme_services
from ..programme.manage import display, submit, typed
from . import services
from .models import LABEL_MAX, URL_MAX
from .schemas import ChannelIn
from .sockets import broadcast_channels

bp = Blueprint(
    "interpretation_manage",
    __name__,
    url_prefix="/manage/events/<slug>/programme/sessions/<int:session_id>/channels",
)


def channel_fields() -> list[dict]:
    languages = [(code, f"{language_name(code)} ({code})") for code in LANGUAGES]
    return [
        {"name": "language", "label": _("Language"), "type": "select", "options": languages},
        {
            "name": "label",
            "label": _("Label"),
            "type": "text",
            "maxlength": LABEL_MAX,
            "hint": _("Shown in the viewers' language picker. Empty: the language's name."),
        },
        {
            "name": "stream_url",
            "label": _("Stream address"),
            "type": "url",
            "required": True,
            "maxlength": URL_MAX,
            "hint": _(
                "https only: a YouTube or Vimeo link, any https embed address, or an HLS .m3u8 stream."
            ),
        },
        {"name": "floor", "label": _("This is the floor (the room's own sound)"), "type": "checkbox"},
        {
            "name": "live",
            "label": _("Live now"),
            "type": "checkbox",
            "hint": _("Moderators switch channels on and off from the moderator console."),
        },
    ]


def _session_page(event, session) -> str:
    return url_for("programme_manage.session", slug=event.slug, item_id=session.id) + "#channels"


def _load(slug: str, session_id: int):
    event = event_to_manage(slug)
    return event, programme_services.get_session(db.session, event, session_id)


def _form(event, session, channel, values, errors):
    title = _("Edit the channel") if channel is not None else _("New interpretation channel")
    return render_template(
        "interpretation/channel_form.html",
        page_title=title,
        event=event,
        session=session,
        channel=channel,
        fields=channel_fields(),
        values=values,
        errors=errors or {},
    ), (400 if errors else 200)


@bp.route("/new", methods=["GET", "POST"], defaults={"channel_id": None})
@bp.route("/<int:channel_id>", methods=["GET", "POST"])
@login_required
def channel(slug: str, session_id: int, channel_id: int | None):
    event, session = _load(slug, session_id)
    item = services.get_channel(db.session, session, channel_id) if channel_id is not None else None
    values = display(services.channel_values(item)) if item is not None else {"live": "true"}
    errors = None
    if request.method == "POST":

        def save(data: ChannelIn):
            if item is None:
                return services.create_channel(db.session, session, data)
            return services.update_channel(db.session, session, item, data)

        saved, errors = submit(ChannelIn, save)
        if saved is not None:
            broadcast_channels(session)
            flash(_("The channel is saved."), "success")
            return redirect(_session_page(event, session), code=303)
        values = typed(ChannelIn)
    return _form(event, session, item, values, errors)


@bp.post("/<int:channel_id>/delete")
@login_required
def delete_channel(slug: str, session_id: int, channel_id: int):
    event, session = _load(slug, session_id)
    services.delete_channel(db.session, services.get_channel(db.session, session, channel_id))
    broadcast_channels(session)
    flash(_("The channel is deleted."), "success")
    return redirect(_session_page(event, session), code=303)


def session_channels(session_id: int | None) -> list:
    """For the session's form: its channel rows (a template global)."""
    return services.channels_of(db.session, session_id) if session_id else []
