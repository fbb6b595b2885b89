"""Languages: Flask-Babel catalogues for pages, Python and JavaScript; the language switch; locale formats.

The language of a request is, in order: the person's choice (their account, else the `lang`
cookie the header's switch sets), the browser's Accept-Language, the event's default language
(the first of `Event.languages` when the URL names an event), and English.
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup

from .locales import (  # noqa: F401
    DEFAULT_LANGUAGE,
    LANGUAGES,
    RTL_LANGUAGES,
    TRANSLATIONS_DIR,
    language_name,
    session_kind_label,
)


def init_app(app: Flask) -> None:
    """Flask-Babel with our locale selector, the /language switch and the template helpers."""
    from flask_babel import Babel

    from . import content, formatting, jscatalogue, selection, views

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=selection.select_locale)
    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(
        language_choices=LANGUAGES,
        current_language=selection.current_language,
        html_lang=selection.html_lang,
        text_direction=selection.text_direction,
        js_catalogue=jscatalogue.catalogue_json,
        Markup=Markup,
        kind_label=session_kind_label,
        language_name=language_name,  # fixed markup passed into a translated sentence (_('%(n)s online', n=Markup(...)))
    )
    formatting.register_filters(app)
    # {{ session|localized("title") }}: the organiser's translation into the page's language, else the original.
    app.jinja_env.filters["localized"] = content.localized
