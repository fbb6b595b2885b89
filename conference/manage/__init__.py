"""The organisers' back-office (`/manage`): the events a person runs and each event's sections."""


def init_app(app) -> None:
    """The back-office's home and each event's sections."""
    from .views import bp

    app.register_blueprint(bp)
