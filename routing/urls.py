from django.urls import path

from routing import api, views

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
    path("q/<int:question_id>/<str:token>/", views.question_private, name="question-private"),
    path("expert/console/", views.expert_console, name="expert-console"),
    path("expert/presence/", views.presence_change, name="presence-change"),
    path("brands/<slug:slug>/manage/queue/", views.staff_queue, name="staff-queue"),
]

api_urlpatterns = [
    path("brands/<slug:slug>/questions", api.QuestionCreateApi.as_view(), name="questions"),
    path("brands/<slug:slug>/knowledge", api.KnowledgeListCreateApi.as_view(), name="knowledge"),
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
