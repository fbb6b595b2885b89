"""Sign-up and sign-in forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3, missing from types-WTForms 3.2
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..countries import display_country_names


def country_choices() -> list[SelectChoice]:
    """The sign-up form's countries, named and sorted in the page's language."""
    return [SelectChoice("", _("— choose —"))] + [
        SelectChoice(code, name) for code, name in display_country_names().items()
    ]


class SignupForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    country = SelectField(_l("Country"), validators=[DataRequired(message=_l("Please choose your country."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me on this device"))


PASSWORD_LENGTH = Length(
    min=8, max=200, message=_l("The password needs at least 8 characters (at most 200).")
)


class EmailLinkForm(FlaskForm):
    """ "E-mail me a sign-in link" and "forgot password": only an address."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class LinkSignInForm(FlaskForm):
    """The page a link opens. A reset needs a new password; an invitation may set one; a sign-in
    link only asks for a click (mail scanners that fetch links must not spend them)."""

    password = PasswordField(_l("New password"), validators=[Optional(), PASSWORD_LENGTH])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
    )

    def __init__(self, *args, password_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if password_required:
            self.password.validators = [DataRequired(message=_l("Choose a new password.")), PASSWORD_LENGTH]


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), PASSWORD_LENGTH])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
