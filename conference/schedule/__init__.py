"""The programme as a file: frab/pretalx `schedule.json` import and export, and iCalendar files."""


def init_app(app) -> None:
    """Schedule files (pages and API) and `conference import-programme` / `export-programme`."""
    from .api import bp as api_bp
    from .cli import SCHEDULE_COMMANDS
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    for command in SCHEDULE_COMMANDS:
        app.cli.add_command(command)
