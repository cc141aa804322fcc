from django.urls import path

from quality import api, views

app_name = "quality"

urlpatterns = [
    path("expert/standing/", views.expert_standing, name="expert-standing"),
]

api_urlpatterns = [
    path("expert/standing", api.ExpertStandingApi.as_view(), name="expert-standing"),
    path("expert/history", api.ExpertHistoryApi.as_view(), name="expert-history"),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>/quality",
        api.ExpertQualityApi.as_view(),
        name="expert-quality",
    ),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>/probation",
        api.ExpertProbationApi.as_view(),
        name="expert-probation",
    ),
    path(
        "questions/<int:question_id>/rating",
        api.QuestionRatingApi.as_view(),
        name="question-rating",
    ),
    path(
        "questions/<int:question_id>/reopen",
        api.QuestionReopenApi.as_view(),
        name="question-reopen",
    ),
]
