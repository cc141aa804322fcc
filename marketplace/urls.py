from django.urls import path

from marketplace import views
from marketplace.api import audit as audit_api
from marketplace.api import core as api
from marketplace.api import pool as pool_api
from marketplace.api import recruitment as recruitment_api
from marketplace.views import audit as audit_views
from marketplace.views import notifications as notification_views
from marketplace.views import pool as pool_views
from marketplace.views import recruitment as recruitment_views

app_name = "marketplace"

urlpatterns = [
    path("expert/", views.expert_home, name="expert-home"),
    path("expert/profile/", pool_views.expert_profile, name="expert-profile"),
    path("brands/new/", views.brand_create, name="brand-create"),
    path("brands/<slug:slug>/", views.brand_public, name="brand-public"),
    path("brands/<slug:slug>/apply/", recruitment_views.application_form, name="apply"),
    path(
        "brands/<slug:slug>/quizzes/<int:quiz_id>/",
        recruitment_views.quiz_take,
        name="quiz-take",
    ),
    path("invitations/<str:token>/", recruitment_views.invitation_landing, name="invitation"),
    path(
        "invitations/<str:token>/accept/",
        recruitment_views.invitation_accept,
        name="invitation-accept",
    ),
    path("brands/<slug:slug>/manage/", views.brand_dashboard, name="brand-dashboard"),
    path("brands/<slug:slug>/manage/details/", views.brand_details, name="brand-details"),
    path("brands/<slug:slug>/manage/audit/", audit_views.brand_audit, name="brand-audit"),
    path(
        "brands/<slug:slug>/manage/notifications/",
        notification_views.staff_notifications,
        name="staff-notifications",
    ),
    path(
        "brands/<slug:slug>/manage/audit/export.csv",
        audit_views.brand_audit_csv,
        name="brand-audit-csv",
    ),
    path(
        "brands/<slug:slug>/manage/security/",
        views.brand_security_update,
        name="brand-security",
    ),
    path(
        "brands/<slug:slug>/manage/retention/",
        views.brand_retention_update,
        name="brand-retention",
    ),
    path("brands/<slug:slug>/manage/products/", views.product_add, name="product-add"),
    path(
        "brands/<slug:slug>/manage/products/<int:product_id>/edit/",
        views.product_edit,
        name="product-edit",
    ),
    path(
        "brands/<slug:slug>/manage/products/import/",
        views.catalogue_import,
        name="catalogue-import",
    ),
    path("brands/<slug:slug>/manage/categories/", views.category_add, name="category-add"),
    path(
        "brands/<slug:slug>/manage/categories/<int:category_id>/edit/",
        views.category_edit,
        name="category-edit",
    ),
    path(
        "brands/<slug:slug>/manage/products/<int:product_id>/archive/",
        views.product_archive,
        name="product-archive",
    ),
    path(
        "brands/<slug:slug>/manage/invitations/",
        recruitment_views.invitation_list,
        name="invitations",
    ),
    path(
        "brands/<slug:slug>/manage/invitations/import/",
        recruitment_views.invitation_import,
        name="invitation-import",
    ),
    path(
        "brands/<slug:slug>/manage/invitations/<int:invitation_id>/<str:action>/",
        recruitment_views.invitation_action,
        name="invitation-action",
    ),
    path(
        "brands/<slug:slug>/manage/applications/",
        recruitment_views.application_queue,
        name="applications",
    ),
    path(
        "brands/<slug:slug>/manage/applications/<int:application_id>/",
        recruitment_views.application_review,
        name="application-review",
    ),
    path("brands/<slug:slug>/manage/quizzes/", recruitment_views.quiz_list, name="quizzes"),
    path(
        "brands/<slug:slug>/manage/quizzes/<int:quiz_id>/",
        recruitment_views.quiz_manage,
        name="quiz-manage",
    ),
    path("brands/<slug:slug>/manage/pool/", pool_views.pool_list, name="pool"),
    path(
        "brands/<slug:slug>/manage/pool/<int:expert_id>/",
        pool_views.pool_expert,
        name="pool-expert",
    ),
]

api_urlpatterns = [
    path("", api.ApiRootApi.as_view(), name="root"),
    # "me" is served by privacy.api.MeApi, which adds DELETE (account erasure).
    path("expert/profile", pool_api.ExpertProfileApi.as_view(), name="expert-profile"),
    path(
        "invitations/accept",
        recruitment_api.InvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path("brands", api.BrandCreateApi.as_view(), name="brand-create"),
    path("brands/<slug:slug>", api.BrandDetailApi.as_view(), name="brand-detail"),
    path("brands/<slug:slug>/categories", api.CategoryListCreateApi.as_view(), name="categories"),
    path(
        "brands/<slug:slug>/categories/<int:category_id>",
        api.CategoryDetailApi.as_view(),
        name="category-detail",
    ),
    path("brands/<slug:slug>/products", api.ProductListCreateApi.as_view(), name="products"),
    path(
        "brands/<slug:slug>/products/import",
        recruitment_api.ProductImportApi.as_view(),
        name="product-import",
    ),
    path(
        "brands/<slug:slug>/products/<int:product_id>",
        api.ProductDetailApi.as_view(),
        name="product-detail",
    ),
    path("brands/<slug:slug>/members", api.MemberListApi.as_view(), name="members"),
    path("brands/<slug:slug>/audit", audit_api.BrandAuditApi.as_view(), name="brand-audit"),
    path("audit", audit_api.AuditApi.as_view(), name="audit"),
    path("brands/<slug:slug>/experts", pool_api.ExpertListApi.as_view(), name="experts"),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>",
        pool_api.ExpertDetailApi.as_view(),
        name="expert-detail",
    ),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>/suspend",
        pool_api.ExpertSuspendApi.as_view(),
        name="expert-suspend",
    ),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>/reinstate",
        pool_api.ExpertReinstateApi.as_view(),
        name="expert-reinstate",
    ),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>/skills/<int:product_id>/verification",
        pool_api.ExpertSkillVerificationApi.as_view(),
        name="expert-skill-verification",
    ),
    path(
        "brands/<slug:slug>/invitations",
        recruitment_api.InvitationListCreateApi.as_view(),
        name="invitations",
    ),
    path(
        "brands/<slug:slug>/invitations/import",
        recruitment_api.InvitationImportApi.as_view(),
        name="invitation-import",
    ),
    path(
        "brands/<slug:slug>/invitations/<int:invitation_id>/resend",
        recruitment_api.InvitationResendApi.as_view(),
        name="invitation-resend",
    ),
    path(
        "brands/<slug:slug>/invitations/<int:invitation_id>/revoke",
        recruitment_api.InvitationRevokeApi.as_view(),
        name="invitation-revoke",
    ),
    path(
        "brands/<slug:slug>/applications",
        recruitment_api.ApplicationListCreateApi.as_view(),
        name="applications",
    ),
    path(
        "brands/<slug:slug>/applications/<int:application_id>",
        recruitment_api.ApplicationDetailApi.as_view(),
        name="application-detail",
    ),
    path(
        "brands/<slug:slug>/applications/<int:application_id>/approve",
        recruitment_api.ApplicationApproveApi.as_view(),
        name="application-approve",
    ),
    path(
        "brands/<slug:slug>/applications/<int:application_id>/reject",
        recruitment_api.ApplicationRejectApi.as_view(),
        name="application-reject",
    ),
    path(
        "brands/<slug:slug>/quizzes",
        recruitment_api.QuizListCreateApi.as_view(),
        name="quizzes",
    ),
    path(
        "brands/<slug:slug>/quizzes/<int:quiz_id>",
        recruitment_api.QuizDetailApi.as_view(),
        name="quiz-detail",
    ),
    path(
        "brands/<slug:slug>/quizzes/<int:quiz_id>/attempts",
        recruitment_api.QuizAttemptListCreateApi.as_view(),
        name="quiz-attempts",
    ),
    path("brands/<slug:slug>/api-keys", api.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path(
        "brands/<slug:slug>/api-keys/<int:key_id>",
        api.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]
