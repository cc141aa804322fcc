from django.urls import path

from routing import (
    api,
    api_knowledge,
    views,
    views_history,
    views_inbox,
    views_knowledge,
    views_surges,
)

app_name = "routing"

urlpatterns = [
    path("customer/", views.customer_home, name="customer-home"),
    path("brands/<slug:slug>/ask/", views.ask, name="ask"),
    path("embed/<slug:slug>/", views.embed_ask, name="embed-ask"),
    path(
        "brands/<slug:slug>/help/<int:entry_id>/",
        views.knowledge_entry_page,
        name="knowledge-entry",
    ),
    path("questions/<int:question_id>/", views.question_page, name="question"),
    path("q/<int:question_id>/", views.question_private, name="question-private"),
    # Links mailed before the token moved to the fragment: exchanged, then redirected.
    path(
        "q/<int:question_id>/<str:token>/",
        views.question_private_legacy,
        name="question-private-legacy",
    ),
    path("expert/console/", views.expert_console, name="expert-console"),
    path("expert/presence/", views.presence_change, name="presence-change"),
    path("expert/history/", views_history.expert_history, name="expert-history"),
    # The staff inbox keeps the live queue's address.
    path("brands/<slug:slug>/manage/queue/", views_inbox.staff_inbox, name="staff-queue"),
    path(
        "brands/<slug:slug>/manage/queue/counts/",
        views_inbox.staff_inbox_counts,
        name="staff-queue-counts",
    ),
    path(
        "brands/<slug:slug>/manage/questions/<int:question_id>/notes/",
        views_inbox.question_note_add,
        name="question-note-add",
    ),
    path(
        "brands/<slug:slug>/manage/questions/<int:question_id>/tags/",
        views_inbox.question_tags_change,
        name="question-tags",
    ),
    path(
        "brands/<slug:slug>/manage/questions/<int:question_id>/reassign/",
        views_inbox.question_reassign,
        name="question-reassign",
    ),
    path("brands/<slug:slug>/manage/replies/", views_inbox.canned_replies, name="canned-replies"),
    path(
        "brands/<slug:slug>/manage/replies/<int:reply_id>/",
        views_inbox.canned_reply_edit,
        name="canned-reply-edit",
    ),
    path(
        "brands/<slug:slug>/manage/tags/<int:tag_id>/delete/",
        views_inbox.tag_delete,
        name="tag-delete",
    ),
    path(
        "brands/<slug:slug>/manage/routing/",
        views.routing_settings_page,
        name="routing-settings",
    ),
    path(
        "brands/<slug:slug>/manage/knowledge/",
        views_knowledge.knowledge_list,
        name="knowledge-list",
    ),
    path(
        "brands/<slug:slug>/manage/knowledge/new/",
        views_knowledge.knowledge_create,
        name="knowledge-create",
    ),
    path(
        "brands/<slug:slug>/manage/knowledge/gaps/",
        views_knowledge.knowledge_gaps_page,
        name="knowledge-gaps",
    ),
    path(
        "brands/<slug:slug>/manage/knowledge/gaps/propose/",
        views_knowledge.knowledge_gap_propose,
        name="knowledge-gap-propose",
    ),
    path(
        "brands/<slug:slug>/manage/knowledge/<int:entry_id>/",
        views_knowledge.knowledge_staff_entry,
        name="knowledge-staff-entry",
    ),
    path(
        "brands/<slug:slug>/manage/knowledge/<int:entry_id>/status/",
        views_knowledge.knowledge_entry_status,
        name="knowledge-entry-status",
    ),
    path("brands/<slug:slug>/manage/surges/", views_surges.surge_list, name="surges"),
    path(
        "brands/<slug:slug>/manage/surges/<int:incident_id>/",
        views_surges.surge_detail,
        name="surge-detail",
    ),
    path(
        "brands/<slug:slug>/manage/surges/<int:incident_id>/action/",
        views_surges.surge_action,
        name="surge-action",
    ),
    path(
        "questions/<int:question_id>/faq-draft/",
        views_knowledge.question_faq_draft,
        name="question-faq-draft",
    ),
]

api_urlpatterns = [
    path("brands/<slug:slug>/questions", api.QuestionCreateApi.as_view(), name="questions"),
    path("brands/<slug:slug>/knowledge", api.KnowledgeListCreateApi.as_view(), name="knowledge"),
    path(
        "brands/<slug:slug>/knowledge/gaps",
        api_knowledge.KnowledgeGapsApi.as_view(),
        name="knowledge-gaps",
    ),
    path(
        "brands/<slug:slug>/knowledge/<int:entry_id>",
        api_knowledge.KnowledgeDetailApi.as_view(),
        name="knowledge-detail",
    ),
    path(
        "brands/<slug:slug>/knowledge/<int:entry_id>/publish",
        api_knowledge.KnowledgePublishApi.as_view(),
        name="knowledge-publish",
    ),
    path(
        "brands/<slug:slug>/knowledge/<int:entry_id>/unpublish",
        api_knowledge.KnowledgeUnpublishApi.as_view(),
        name="knowledge-unpublish",
    ),
    path(
        "brands/<slug:slug>/knowledge/<int:entry_id>/archive",
        api_knowledge.KnowledgeArchiveApi.as_view(),
        name="knowledge-archive",
    ),
    path(
        "brands/<slug:slug>/knowledge/<int:entry_id>/restore",
        api_knowledge.KnowledgeRestoreApi.as_view(),
        name="knowledge-restore",
    ),
    path(
        "brands/<slug:slug>/knowledge/calibration",
        api.AnswerCalibrationApi.as_view(),
        name="knowledge-calibration",
    ),
    path("brands/<slug:slug>/routing", api.RoutingSettingsApi.as_view(), name="routing-settings"),
    path("questions/<int:question_id>", api.QuestionDetailApi.as_view(), name="question-detail"),
    path(
        "questions/<int:question_id>/messages",
        api.QuestionMessagesApi.as_view(),
        name="question-messages",
    ),
    path(
        "questions/<int:question_id>/copilot",
        api.QuestionCopilotApi.as_view(),
        name="question-copilot",
    ),
    path(
        "questions/<int:question_id>/human", api.QuestionHumanApi.as_view(), name="question-human"
    ),
    path(
        "questions/<int:question_id>/feedback",
        api.QuestionFeedbackApi.as_view(),
        name="question-feedback",
    ),
    path(
        "questions/<int:question_id>/knowledge-draft",
        api_knowledge.QuestionKnowledgeDraftApi.as_view(),
        name="question-knowledge-draft",
    ),
    path(
        "questions/<int:question_id>/resolve",
        api.QuestionResolveApi.as_view(),
        name="question-resolve",
    ),
    path(
        "questions/<int:question_id>/escalate",
        api.QuestionEscalateApi.as_view(),
        name="question-escalate",
    ),
    path(
        "questions/<int:question_id>/release",
        api.QuestionReleaseApi.as_view(),
        name="question-release",
    ),
    path("expert/presence", api.ExpertPresenceApi.as_view(), name="expert-presence"),
    path("expert/presence/heartbeat", api.ExpertHeartbeatApi.as_view(), name="expert-heartbeat"),
    path("expert/offers", api.ExpertOffersApi.as_view(), name="expert-offers"),
    path("expert/assignments", api.ExpertAssignmentsApi.as_view(), name="expert-assignments"),
    path("offers/<int:offer_id>/accept", api.OfferAcceptApi.as_view(), name="offer-accept"),
    path("offers/<int:offer_id>/decline", api.OfferDeclineApi.as_view(), name="offer-decline"),
]
