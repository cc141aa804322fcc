"""Routing services (writes). Import from here; the modules split by subdomain."""

from routing.services.copilot import (
    copilot_access,
    copilot_draft_record_use,
    copilot_draft_validate,
    copilot_for,
)
from routing.services.knowledge import (
    answer_decide,
    answer_target_set,
    answer_threshold_calibrate,
    auto_answer_feedback,
    auto_answer_handed_over,
)
from routing.services.knowledge_base import (
    knowledge_draft_access,
    knowledge_entry_archive,
    knowledge_entry_draft_from_question,
    knowledge_entry_publish,
    knowledge_entry_restore,
    knowledge_entry_unpublish,
    knowledge_entry_update,
)
from routing.services.offers import (
    assignment_accept,
    assignment_decline,
    offers_expire_for_question,
    routing_offer_question,
)
from routing.services.presence import (
    capacity_claim,
    capacity_release,
    presence_for,
    presence_heartbeat,
    presence_set,
)
from routing.services.questions import (
    assignment_escalate,
    assignment_release,
    knowledge_entry_create,
    message_post,
    participant_role,
    question_create,
    question_reopen,
    question_request_human,
    question_resolve,
    question_send_to_experts,
    routing_settings_update,
)

__all__ = [
    "answer_decide",
    "answer_target_set",
    "answer_threshold_calibrate",
    "auto_answer_feedback",
    "auto_answer_handed_over",
    "assignment_accept",
    "assignment_decline",
    "assignment_escalate",
    "assignment_release",
    "capacity_claim",
    "capacity_release",
    "knowledge_draft_access",
    "knowledge_entry_archive",
    "copilot_access",
    "copilot_draft_record_use",
    "copilot_draft_validate",
    "copilot_for",
    "knowledge_entry_create",
    "knowledge_entry_draft_from_question",
    "knowledge_entry_publish",
    "knowledge_entry_restore",
    "knowledge_entry_unpublish",
    "knowledge_entry_update",
    "message_post",
    "offers_expire_for_question",
    "participant_role",
    "presence_for",
    "presence_heartbeat",
    "presence_set",
    "question_create",
    "question_reopen",
    "question_request_human",
    "question_resolve",
    "question_send_to_experts",
    "routing_offer_question",
    "routing_settings_update",
]
