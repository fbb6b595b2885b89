"""The event's discussion board: questions the sessions left open, answered in writing afterwards."""


def init_app(app) -> None:
    """The board's pages, "My questions", its back-office section and the receiver that moves a
    session's unanswered questions here when the session's Q&A is over."""
    from .. import hooks
    from . import models  # noqa: F401 - the tables
    from .views import bp, manage_bp

    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    hooks.session_ended.connect(_on_session_ended)  # blinker keeps one of each receiver


def _on_session_ended(event_id, session_id=None, **_extra) -> None:
    from ..extensions import db
    from .services import move_unanswered

    if session_id is not None:
        move_unanswered(db.session, session_id)
