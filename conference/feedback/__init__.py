"""Session feedback: a short survey for the people who attended, and its results for organisers."""


def init_app(app) -> None:
    """The survey pages and JSON, and the organisers' results section."""
    from . import models  # noqa: F401 - the tables
    from .views import bp, manage_bp

    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    app.jinja_env.globals["feedback_due"] = _due_for_current_user


def _due_for_current_user(event) -> list:
    """For "My registrations": the sessions of `event` the signed-in person attended and has not rated."""
    from flask_login import current_user

    from ..extensions import db
    from .services import due_surveys

    return due_surveys(db.session, current_user, event) if current_user.is_authenticated else []
