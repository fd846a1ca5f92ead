"""Campaign screening pages: the queue of held campaigns, a campaign's screening, the rule editor.

Thin: the rules live in app/compliance/services/screening*.py. Compliance and admins only.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.compliance.jobs import enqueue_rescreen
from app.compliance.routes import bp
from app.compliance.screening.engine import Subject, screen
from app.compliance.screening.ruleset import RuleSetError
from app.compliance.screening_forms import (
    BriefForm,
    DecisionForm,
    EmptyForm,
    RewardRuleForm,
    TextRuleForm,
    TryForm,
)
from app.compliance.services import rescreen, screening, screening_rules
from app.platform.access import role_required
from app.platform.i18n import _, _l
from models import Brand, Campaign, DomainError, Room, db

ROLES = ("compliance",)  # admin passes every role check
DECISION_DONE = {"approve": _l("approved, now live and funded"), "request_changes": _l("changes requested"),
                 "reject": _l("rejected and closed")}


def _campaign_or_404(campaign_id: str) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404, description=_("campaign %(id)s does not exist", id=campaign_id))
    return campaign


@bp.get("/screening/")
@role_required(*ROLES)
def screening_queue():  # noqa: ANN201
    return render_template("compliance/screening/queue.html", rows=screening.waiting_queue())


@bp.get("/screening/campaigns/<campaign_id>")
@role_required(*ROLES)
def screening_campaign(campaign_id: str):  # noqa: ANN201
    campaign = _campaign_or_404(campaign_id)
    history = screening.history(campaign_id)
    return render_template("compliance/screening/campaign.html", campaign=campaign, history=history,
                           current=history[0] if history else None, brand=db.session.get(Brand, campaign.brand_id),
                           room=db.session.get(Room, campaign.room_id), decision_form=DecisionForm(),
                           brief_form=BriefForm(brief=campaign.brief))


@bp.post("/screening/campaigns/<campaign_id>/decide")
@role_required(*ROLES)
def screening_decide(campaign_id: str):  # noqa: ANN201
    _campaign_or_404(campaign_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired or was incomplete; reload the page"))
    decision = next((d for d in screening.DECISIONS if form[d].data), None)
    try:
        screening.decide(campaign_id, decision or "", form.reason.data, current_user)
    except screening.ScreeningDecisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.screening_campaign", campaign_id=campaign_id))
    db.session.commit()
    flash(_("Campaign %(id)s: %(decision)s.", id=campaign_id, decision=DECISION_DONE[decision]), "ok")
    return redirect(url_for("compliance.screening_queue"))


@bp.post("/screening/campaigns/<campaign_id>/brief")
@role_required(*ROLES)
def screening_edit_brief(campaign_id: str):  # noqa: ANN201
    """Compliance edits the brief on the brand's behalf (the change the brand agreed to); screened again."""
    _campaign_or_404(campaign_id)
    form = BriefForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired or was incomplete; reload the page"))
    try:
        result = screening.edit_brief(campaign_id, form.brief.data or None, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.screening_campaign", campaign_id=campaign_id))
    db.session.commit()
    flash(_("Brief saved and screened again: %(count)s findings.", count=len(result.findings)),
          "error" if result.findings else "ok")
    return redirect(url_for("compliance.screening_campaign", campaign_id=campaign_id))


# --- rule sets ---------------------------------------------------------------------------------

@bp.get("/screening/rules/")
@role_required(*ROLES)
def screening_rule_sets():  # noqa: ANN201
    versions = screening_rules.versions()
    db.session.commit()  # the defaults, loaded on first use
    return render_template("compliance/screening/rule_sets.html", versions=versions, form=EmptyForm())


@bp.post("/screening/rules/draft")
@role_required(*ROLES)
def screening_open_draft():  # noqa: ANN201
    if not EmptyForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page"))
    draft = screening_rules.open_draft(current_user)
    db.session.commit()
    return redirect(url_for("compliance.screening_rule_set", version=draft.version))


def _rule_forms(document: dict) -> list[tuple[dict, Any]]:
    forms = []
    for rule in document["rules"]:
        if rule.get("kind") == "reward":
            form = RewardRuleForm(formdata=None, prefix=rule["code"], **{
                k: rule.get(k) for k in ("code", "severity", "enabled", "factor", "high_factor", "min_samples")})
        else:
            form = TextRuleForm(formdata=None, prefix=rule["code"], code=rule["code"], severity=rule["severity"],
                                enabled=rule.get("enabled", True), skip_if_negated=rule.get("skip_if_negated", True),
                                title_en=rule.get("title", {}).get("en"), title_zh=rule.get("title", {}).get("zh"),
                                patterns="\n".join(rule.get("patterns", [])), unless="\n".join(rule.get("unless", [])))
        forms.append((rule, form))
    return forms


def _render_rule_set(version: int, *, failed: tuple[str | None, Any] | None = None, tried: Any = None,
                     status: int = 200):  # noqa: ANN202
    rule_set = screening_rules.get_version(version)
    active = screening_rules.active_rule_set()
    forms = _rule_forms(rule_set.document)
    if failed is not None:  # show the submitted values with their error, in place
        code, bad_form = failed
        forms = [(rule, bad_form if rule["code"] == code else form) for rule, form in forms]
    new_form = failed[1] if failed is not None and failed[0] is None else TextRuleForm(formdata=None, prefix="new")
    changes = screening_rules.diff(active.document, rule_set.document) if rule_set.id != active.id else []
    return render_template("compliance/screening/rule_set.html", rule_set=rule_set, active=active, forms=forms,
                           new_form=new_form, changes=changes, form=EmptyForm(),
                           try_form=TryForm(formdata=None) if tried is None else tried[0],
                           tried=None if tried is None else tried[1]), status


@bp.get("/screening/rules/<int:version>")
@role_required(*ROLES)
def screening_rule_set(version: int):  # noqa: ANN201
    return _render_rule_set(version)


def _rule_from(form: Any, existing: dict | None) -> dict:
    if isinstance(form, RewardRuleForm):
        rule = {**(existing or {}), "code": form.code.data.strip(), "kind": "reward", "severity": form.severity.data,
                "enabled": form.enabled.data, "factor": form.factor.data, "min_samples": form.min_samples.data}
        if form.high_factor.data is None:
            rule.pop("high_factor", None)
        else:
            rule["high_factor"] = form.high_factor.data
        return rule
    lines = [p.strip() for p in (form.patterns.data or "").splitlines() if p.strip()]
    unless = [p.strip() for p in (form.unless.data or "").splitlines() if p.strip()]
    rule = {**(existing or {}), "code": form.code.data.strip(), "kind": "text", "severity": form.severity.data,
            "enabled": form.enabled.data, "skip_if_negated": form.skip_if_negated.data,
            "title": {k: v for k, v in (("en", form.title_en.data), ("zh", form.title_zh.data)) if v},
            "patterns": lines}
    if unless:
        rule["unless"] = unless
    else:
        rule.pop("unless", None)
    return rule


def _field_error(form: Any, exc: RuleSetError) -> None:
    """Put the error on the form field it names: rule.patterns[2] -> patterns, line 3."""
    name = exc.field.removeprefix("rule.").split("[")[0].split(".")[0]
    message = exc.message
    if "[" in exc.field:
        index = int(exc.field.split("[")[1].split("]")[0])
        message = _("line %(n)s: %(problem)s", n=index + 1, problem=exc.message)
    target = form[name] if name in form else form["code"]
    target.errors = [*list(target.errors or []), message]


@bp.post("/screening/rules/<int:version>/rules")
@bp.post("/screening/rules/<int:version>/rules/<code>")
@role_required(*ROLES)
def screening_save_rule(version: int, code: str | None = None):  # noqa: ANN201
    rule_set = screening_rules.get_version(version)
    existing = next((r for r in rule_set.document["rules"] if r.get("code") == code), None) if code else None
    if code and existing is None:
        abort(404, description=_("no rule %(code)s in version %(v)s", code=code, v=version))
    form_class = RewardRuleForm if existing and existing.get("kind") == "reward" else TextRuleForm
    form = form_class(formdata=request.form or MultiDict(), prefix=code or "new")
    if not form.validate_on_submit():
        flash(_("The rule was not saved: see the fields marked below."), "error")
        return _render_rule_set(version, failed=(code, form), status=422)
    try:
        screening_rules.save_rule(version, _rule_from(form, existing), current_user, replace_code=code)
    except RuleSetError as exc:
        db.session.rollback()
        _field_error(form, exc)
        flash(_("The rule was not saved: %(error)s", error=str(exc)), "error")
        return _render_rule_set(version, failed=(code, form), status=422)
    db.session.commit()
    flash(_("Rule %(code)s saved in draft %(version)s.", code=form.code.data, version=version), "ok")
    return redirect(url_for("compliance.screening_rule_set", version=version))


@bp.post("/screening/rules/<int:version>/try")
@role_required(*ROLES)
def screening_try(version: int):  # noqa: ANN201
    form = TryForm()
    if not form.validate_on_submit():
        return _render_rule_set(version, status=422)
    rule_set = screening_rules.get_version(version)
    findings = screen(screening_rules.compiled(rule_set), Subject(brief=form.text.data))
    return _render_rule_set(version, tried=(form, findings))


@bp.post("/screening/rules/<int:version>/publish")
@role_required(*ROLES)
def screening_publish(version: int):  # noqa: ANN201
    if not EmptyForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page"))
    try:
        screening_rules.publish(version, current_user)
    except (RuleSetError, screening_rules.ScreeningRulesError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.screening_rule_set", version=version))
    task = rescreen.start_task(version)
    db.session.commit()
    enqueue_rescreen(version, task)  # live and pending campaigns, screened again under the new rules
    flash(_("Version %(version)s is now the active screening rule set.", version=version), "ok")
    flash(_("Live and pending campaigns are being screened again under it; those with findings go to the "
            "held campaigns."), "ok")
    return redirect(url_for("compliance.screening_rule_sets"))


@bp.post("/screening/rules/<int:version>/discard")
@role_required(*ROLES)
def screening_discard(version: int):  # noqa: ANN201
    if not EmptyForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page"))
    screening_rules.discard(version, current_user)
    db.session.commit()
    flash(_("Draft %(version)s discarded.", version=version), "ok")
    return redirect(url_for("compliance.screening_rule_sets"))
