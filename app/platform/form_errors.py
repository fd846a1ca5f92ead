"""What a refused form says: each bad field by its label, and an expired CSRF token as such."""
from __future__ import annotations

from flask_wtf import FlaskForm

from app.platform.i18n import _


def form_errors(form: FlaskForm) -> str:
    """One line naming every field that failed and why (labels in the reader's language)."""
    parts = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            parts.append(_("The form expired; try again."))
            continue
        field = getattr(form, name, None)
        label = field.label.text if field is not None else name
        parts.extend(f"{label}: {error}" for error in errors)
    return "; ".join(parts)
