from django.urls import path

from privacy import api, views

app_name = "privacy"

urlpatterns = [
    path("account/data/", views.account_data, name="account-data"),
    path("account/data/export/", views.account_export_download, name="account-export"),
    path("account/delete/", views.account_delete, name="account-delete"),
]

api_urlpatterns = [
    path("me", api.MeApi.as_view(), name="me"),
    path("me/export", api.AccountExportApi.as_view(), name="me-export"),
]
