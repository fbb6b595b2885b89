"""Interpretation channels: one stream per language for a session (the floor and each interpretation
channel, as UN meetings provide), set by organisers, switched live or off by moderators, picked by
each viewer on the live page."""


def init_app(app) -> None:
    """The organisers' channel pages and API, the `/live` event, the join-state part and the
    receiver that re-announces the channels when a session's own stream (its floor) changes."""
    from . import sockets
    from .api import bp as api_bp
    from .views import bp as views_bp
    from .views import session_channels

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.add_template_global(session_channels, "interpretation_channels")
    sockets.init_app(app)
