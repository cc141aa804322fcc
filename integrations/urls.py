from django.urls import path

from integrations import api, views

app_name = "integrations"

urlpatterns = [
    path("brands/<slug:slug>/manage/webhooks/", views.webhook_list, name="webhooks"),
    path(
        "brands/<slug:slug>/manage/webhooks/<int:endpoint_id>/",
        views.webhook_detail,
        name="webhook-detail",
    ),
    path(
        "brands/<slug:slug>/manage/webhooks/<int:endpoint_id>/<str:action>/",
        views.webhook_action,
        name="webhook-action",
    ),
    path(
        "brands/<slug:slug>/manage/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        views.webhook_delivery_replay,
        name="webhook-delivery-replay",
    ),
]

api_urlpatterns = [
    path("brands/<slug:slug>/webhooks", api.WebhookListCreateApi.as_view(), name="webhooks"),
    path(
        "brands/<slug:slug>/webhooks/<int:endpoint_id>",
        api.WebhookDetailApi.as_view(),
        name="webhook-detail",
    ),
    path(
        "brands/<slug:slug>/webhooks/<int:endpoint_id>/rotate-secret",
        api.WebhookSecretRotateApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "brands/<slug:slug>/webhooks/<int:endpoint_id>/deliveries",
        api.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "brands/<slug:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay",
        api.WebhookDeliveryReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
]
