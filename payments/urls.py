from django.urls import path

from payments import api, views

app_name = "payments"

urlpatterns = [
    path("expert/earnings/", views.expert_earnings, name="expert-earnings"),
    path("expert/earnings.csv", views.expert_statement_csv, name="expert-earnings-csv"),
    path(
        "expert/earnings/questions/<int:question_id>/",
        views.expert_earning_detail,
        name="expert-earning",
    ),
    path("brands/<slug:slug>/manage/payouts/", views.brand_payouts, name="brand-payouts"),
    path(
        "brands/<slug:slug>/manage/payouts/batches/<int:batch_id>.csv",
        views.brand_batch_csv,
        name="brand-batch-csv",
    ),
    path(
        "brands/<slug:slug>/manage/payouts/statement.csv",
        views.brand_statement_csv,
        name="brand-statement-csv",
    ),
    path("brands/<slug:slug>/manage/rate-card/", views.brand_rate_card, name="brand-rate-card"),
    path("payments/webhooks/stripe", views.stripe_webhook, name="stripe-webhook"),
]

api_urlpatterns = [
    path("expert/earnings", api.ExpertEarningsApi.as_view(), name="expert-earnings"),
    path("expert/payouts", api.ExpertPayoutsApi.as_view(), name="expert-payouts"),
    path(
        "expert/payout-destination",
        api.ExpertPayoutDestinationApi.as_view(),
        name="expert-payout-destination",
    ),
    path("brands/<slug:slug>/rate-card", api.RateCardApi.as_view(), name="rate-card"),
    path(
        "brands/<slug:slug>/payout-batches", api.PayoutBatchesApi.as_view(), name="payout-batches"
    ),
    path(
        "brands/<slug:slug>/payout-batches/<int:batch_id>/paid",
        api.PayoutBatchPaidApi.as_view(),
        name="payout-batch-paid",
    ),
    path(
        "brands/<slug:slug>/earnings/<int:earning_id>/hold",
        api.EarningHoldApi.as_view(),
        name="earning-hold",
    ),
    path(
        "brands/<slug:slug>/earnings/<int:earning_id>/release",
        api.EarningReleaseApi.as_view(),
        name="earning-release",
    ),
    path(
        "brands/<slug:slug>/earnings/<int:earning_id>/reverse",
        api.EarningReverseApi.as_view(),
        name="earning-reverse",
    ),
]
