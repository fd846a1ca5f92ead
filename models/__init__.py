"""Domain model: one module per aggregate, re-exported here."""
from models.base import Base, DomainError, IllegalTransition, NotFound, UTCDateTime, db, utcnow
from models.brand import KYC_STATES, Brand
from models.campaign import ACTIONS, Campaign, LiveSession, Room
from models.cases import (
    CASE_OUTCOMES,
    CASE_STATES,
    CASE_SUBJECTS,
    OPEN_CASE_STATES,
    CaseItem,
    CaseOutcome,
    ComplianceCase,
    Dispute,
    DisputeProof,
)
from models.compliance import BrandRingMember, BrandScorecard, WorkerRing
from models.exports import EXPORT_KINDS, BrandExport
from models.governance import AuditChainHead, AuditEvent, ModelVersion, RuleSet, Task
from models.ledger import (
    AccountKind,
    EntryKind,
    FraudFlag,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Payout,
    PayoutBatch,
    PayoutState,
    check_payout_transition,
)
from models.moderation import Appeal, InfoRequest, ModerationRequest, RejectReason, WorkerSanction
from models.operators import Backtest, ShadowScore
from models.ops import RetentionRun, Setting
from models.proof import Proof, ProofScore, ProofState, check_transition
from models.relief import MUTE_ENTITY_KINDS, SignalMute
from models.review import QaCheck, ReviewDecision, ReviewItem
from models.screening import SCREENING_STATES, WAITING_STATES, CampaignScreening, ScreeningRuleSet
from models.staff import ApiClient, Role, StaffUser
from models.worker import Worker

__all__ = [
    "ACTIONS", "KYC_STATES", "ApiClient", "AuditChainHead", "AuditEvent", "Base", "Brand", "Campaign", "DomainError",
    "IllegalTransition", "LiveSession", "ModelVersion", "NotFound", "Proof", "ProofScore",
    "ProofState", "QaCheck", "ReviewDecision", "ReviewItem", "Role", "Room", "RuleSet", "StaffUser", "Task",
    "UTCDateTime", "Worker", "check_transition", "db", "utcnow",
]
__all__ += ["Backtest", "ShadowScore"]
__all__ += ["Appeal", "InfoRequest", "ModerationRequest", "RejectReason", "WorkerSanction"]
__all__ += ["AccountKind", "EntryKind", "FraudFlag", "LedgerAccount", "LedgerEntry", "LedgerPosting", "Payout",
            "PayoutBatch", "PayoutState", "check_payout_transition"]
__all__ += ["SCREENING_STATES", "WAITING_STATES", "CampaignScreening", "ScreeningRuleSet"]
__all__ += ["RetentionRun", "Setting"]
__all__ += ["MUTE_ENTITY_KINDS", "SignalMute"]
__all__ += ["BrandRingMember", "BrandScorecard", "WorkerRing"]
__all__ += ["EXPORT_KINDS", "BrandExport"]
__all__ += ["CASE_OUTCOMES", "CASE_STATES", "CASE_SUBJECTS", "OPEN_CASE_STATES", "CaseItem", "CaseOutcome",
            "ComplianceCase", "Dispute", "DisputeProof"]
