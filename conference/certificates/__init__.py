"""Certificates of attendance: the organisers' rule, PDFs with a QR code, a public check, revocation."""


def init_app(app) -> None:
    """The public check, a participant's certificate and the back-office section."""
    from . import models  # noqa: F401 - the tables
    from .views import bp, manage_bp

    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
