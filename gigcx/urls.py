from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gigcx import views
from gigcx.throttling import rate_limited
from integrations.urls import api_urlpatterns as integrations_api
from marketplace.urls import api_urlpatterns as marketplace_api
from payments.urls import api_urlpatterns as payments_api
from privacy.urls import api_urlpatterns as privacy_api
from quality.urls import api_urlpatterns as quality_api
from routing.urls import api_urlpatterns as routing_api
from voice.urls import api_urlpatterns as voice_api

api_v1 = [
    *marketplace_api,
    *routing_api,
    *quality_api,
    *payments_api,
    *privacy_api,
    *integrations_api,
    *voice_api,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/", views.set_language, name="set-language"),
    # The translations static/js asks for (gettext() in the browser). Pages name their own
    # language in the URL (a brand's page may be German for an English browser); the bare
    # URL follows the request's language.
    path("jsi18n/<str:language>/", views.javascript_catalog, name="javascript-catalog-language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Django's admin login, which allauth's limits do not cover, under its own limit.
    path(
        "admin/login/",
        rate_limited("admin_login", by=lambda request: request.POST.get("username"))(
            admin.site.login
        ),
    ),
    path("admin/", admin.site.urls),
    path("accounts/2fa/required/", views.mfa_required, name="mfa-required"),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script), so the page needs no
    # inline script under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("marketplace.urls")),
    path("", include("routing.urls")),
    path("", include("quality.urls")),
    path("", include("payments.urls")),
    path("", include("privacy.urls")),
    path("", include("integrations.urls")),
]

handler400 = "gigcx.exceptions.handler400"
handler403 = "gigcx.exceptions.handler403"
handler404 = "gigcx.exceptions.handler404"
handler500 = "gigcx.exceptions.handler500"
handler429 = "gigcx.exceptions.handler429"
