from django.urls import path

from quality import api, views

app_name = "quality"

urlpatterns = [
    path("rate/<str:token>/", views.rate_by_link, name="rate-by-link"),
    path("expert/standing/", views.expert_standing, name="expert-standing"),
    path(
        "expert/standing/<slug:slug>/leaderboard/",
        views.leaderboard_opt,
        name="leaderboard-opt",
    ),
    path("expert/leaderboard/<slug:slug>/", views.leaderboard_page, name="leaderboard"),
    path("brands/<slug:slug>/manage/reviews/", views.review_queue, name="review-queue"),
    path("brands/<slug:slug>/manage/metrics/", views.metrics_page, name="metrics"),
    path(
        "brands/<slug:slug>/manage/pool/<int:expert_id>/probation/",
        views.probation_decide,
        name="probation-decide",
    ),
    path("brands/<slug:slug>/manage/metrics.csv", views.metrics_csv, name="metrics-csv"),
    path(
        "brands/<slug:slug>/manage/customers/<int:customer_id>/",
        views.customer_page,
        name="customer",
    ),
    path(
        "brands/<slug:slug>/manage/reviews/<int:review_id>/",
        views.review_page,
        name="review",
    ),
]

api_urlpatterns = [
    path("brands/<slug:slug>/metrics", api.BrandMetricsApi.as_view(), name="metrics"),
    path(
        "brands/<slug:slug>/customers/<int:customer_id>",
        api.BrandCustomerApi.as_view(),
        name="brand-customer",
    ),
    path("brands/<slug:slug>/reviews", api.ReviewListApi.as_view(), name="reviews"),
    path(
        "brands/<slug:slug>/reviews/<int:review_id>",
        api.ReviewDetailApi.as_view(),
        name="review-detail",
    ),
    path(
        "brands/<slug:slug>/quality-settings",
        api.QualitySettingsApi.as_view(),
        name="quality-settings",
    ),
    path("expert/reviews", api.ExpertReviewsApi.as_view(), name="expert-reviews"),
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
