"""Mail: an outbox table written in the same transaction as the change that caused a message, a
background sender that delivers it over SMTP (or to `.eml` files when no SMTP server is configured),
and the admins' outbox pages. This package knows nothing of accounts or registrations: they compose
their messages and hand them to `services.enqueue`.
"""


def init_app(app) -> None:
    """The outbox pages, the background sender's start and `conference mail send`."""
    from .views import bp, mail_cli

    app.register_blueprint(bp)
    app.cli.add_command(mail_cli)
