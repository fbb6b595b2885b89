"""Accounts: users, roles, passwords, API tokens."""


def init_app(app) -> None:
    """Sign-in, sign-up, passwords and tokens pages."""
    from .views import bp

    app.register_blueprint(bp)
