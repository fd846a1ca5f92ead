"""The words of the domain every area shows: proof states, routes, decisions, queues.

Kept in one place so a state reads the same on the queue, the ledger and the compliance pages,
and a Chinese reviewer sees 待审核 wherever English says "in review".
"""
from __future__ import annotations

from app.platform.i18n import _l

STATES = {"received": _l("received"), "scored": _l("scored"), "in_review": _l("in review"),
          "approved": _l("approved"), "rejected": _l("rejected"), "settled": _l("settled"),
          "clawed_back": _l("clawed back")}
ROUTES = {"auto_approve": _l("auto-approve"), "review": _l("review"), "hold": _l("hold")}
DECISIONS = {"approved": _l("approved"), "rejected": _l("rejected"), "escalated": _l("escalated"),
             "reopened": _l("reopened"), "qa confirmed": _l("QA confirmed")}
ACTIONS = {"like": _l("like"), "comment": _l("comment"), "watch": _l("watch"), "follow": _l("follow"),
           "share": _l("share")}
KYC = {"pending": _l("pending"), "verified": _l("verified"), "rejected": _l("rejected"), "suspended": _l("suspended")}
ACCOUNTS = {"brand_funding": _l("brand funding"), "brand_escrow": _l("brand escrow"),
            "brand_refunds": _l("brand refunds"), "worker_payable": _l("payable to workers"),
            "platform_revenue": _l("platform revenue"), "payouts_clearing": _l("payouts in clearing"),
            "payouts_disbursed": _l("payouts disbursed")}
ENTRIES = {"fund": _l("funding"), "settle": _l("settlement"), "clawback": _l("clawback"), "refund": _l("refund"),
           "payout": _l("payout"), "payout_confirm": _l("payout confirmed"), "payout_cancel": _l("payout cancelled")}
PAYOUTS = {"pending": _l("pending"), "sent": _l("sent"), "confirmed": _l("confirmed"), "failed": _l("failed"),
           "retried": _l("retried"), "cancelled": _l("cancelled")}
CAMPAIGNS = {"active": _l("active"), "paused": _l("paused"), "closed": _l("closed"), "draft": _l("draft"),
             "ended": _l("ended")}
FLAGS = {"ring": _l("ring"), "linked_rejection": _l("linked rejection"), "chargeback": _l("chargeback"),
         "manual": _l("manual"), "open": _l("open"), "resolved": _l("resolved"), "dismissed": _l("dismissed")}
RULESETS = {"draft": _l("draft"), "shadow": _l("in shadow"), "active": _l("active"), "retired": _l("retired")}
MODELS = {"candidate": _l("candidate"), "active": _l("active"), "retired": _l("retired")}
TASKS = {"queued": _l("queued"), "running": _l("running"), "done": _l("done"), "failed": _l("failed")}
TASK_KINDS = {"train_model": _l("model training"), "rescore_stale": _l("rescoring stale scores"),
              "backtest": _l("backtest"), "brand_export": _l("brand export"),
              "screening_rescreen": _l("re-screening campaigns")}
DRIFT = {"stable": _l("stable"), "moderate": _l("moderate"), "shift": _l("shift")}
SEVERITIES = {"low": _l("low"), "medium": _l("medium"), "high": _l("high")}
SCREENING = {"clear": _l("clear"), "held": _l("held"), "resubmitted": _l("resubmitted"),
             "changes_requested": _l("changes requested"), "approved": _l("approved"), "rejected": _l("rejected")}
TRIGGERS = {"import": _l("import"), "api": _l("API"), "edit": _l("brief edited"), "rescreen": _l("new rule set")}
RULE_CHANGES = {"added": _l("added"), "removed": _l("removed"), "changed": _l("changed")}
QUEUES = {"hold": _l("Hold"), "review": _l("Review"), "senior": _l("Senior"), "auto": _l("Auto · QA")}
# Who did something when no person did (audit rows' actor label); a person's label is their email.
ACTORS = {"system": _l("system"), "cli": _l("command line"), "training": _l("training"),
          "scheduler": _l("scheduler"), "reconciler": _l("reconciler"), "import": _l("import")}
LINKS = {"address": _l("address"), "hardware": _l("hardware"), "device": _l("device"), "screenshot": _l("screenshot")}
RULESET_EVENTS = {"ruleset.created": _l("created"), "ruleset.drafted": _l("drafted"),
                  "ruleset.published": _l("published"), "ruleset.rolled_back": _l("rolled back"),
                  "ruleset.shadow_started": _l("shadow started"), "ruleset.shadow_stopped": _l("shadow stopped")}
# Model metrics (ml/evaluate.py); recall is measured at TrainingConfig.max_fpr, 1 % unless configured.
METRICS = {"pr_auc": "PR-AUC", "roc_auc": "ROC-AUC", "recall_at_fpr": _l("Recall at %(fpr)s FPR", fpr="1%"),
           "ece": _l("Calibration error (ECE)"), "brier": _l("Brier score"), "rows": _l("Rows"),
           "positives": _l("Fraud (positives)")}


def actor_text(value: str | None) -> str:
    """An audit row's actor: the system's own names in the reader's words, anyone else as recorded."""
    return str(ACTORS.get(value, value or "—"))


def _label(table: dict, value: str | None) -> str:
    if value is None:
        return "—"
    return str(table.get(value, value.replace("_", " ")))


def state_label(value: str | None) -> str:
    return _label(STATES, value)


def route_label(value: str | None) -> str:
    return _label(ROUTES, value)


def decision_label(value: str | None) -> str:
    return _label(DECISIONS, value)


def queue_label(value: str | None) -> str:
    return _label(QUEUES, value)


def action_label(value: str | None) -> str:
    return _label(ACTIONS, value)


def kyc_label(value: str | None) -> str:
    return _label(KYC, value)


def severity_label(value: str | None) -> str:
    return _label(SEVERITIES, value)


def screening_state(value: str | None) -> str:
    return _label(SCREENING, value)


TERMS = {"account": ACCOUNTS, "entry": ENTRIES, "payout": PAYOUTS, "campaign": CAMPAIGNS, "flag": FLAGS,
         "ruleset": RULESETS, "model": MODELS, "task": TASKS, "task_kind": TASK_KINDS, "drift": DRIFT,
         "trigger": TRIGGERS,
         "rule_change": RULE_CHANGES, "link": LINKS, "ruleset_event": RULESET_EVENTS, "metric": METRICS}


def term(kind: str, value: str | None) -> str:
    """The label of a ledger, payout, campaign, flag, rule-set, model, task (status or kind), drift, screening-trigger,
    rule-change, cluster-link, rule-set audit-action or model-metric value: term('payout', 'sent')."""
    return _label(TERMS[kind], value)


TEMPLATE_GLOBALS = {"term": term, "action_label": action_label, "kyc_label": kyc_label, "state_label": state_label,
                    "route_label": route_label, "decision_label": decision_label, "queue_label": queue_label,
                    "severity_label": severity_label, "screening_state": screening_state, "actor_text": actor_text}
