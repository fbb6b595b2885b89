"""Hybrid attendance: who was there, online and on site, computed from room visits and check-ins."""


def init_app(app) -> None:
    """Attendance pages and API, and the live dashboards."""
    from . import sockets
    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    sockets.init_app(app)
