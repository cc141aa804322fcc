from django.urls import path

from quality import api

app_name = "quality"

urlpatterns: list = []

api_urlpatterns = [
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
