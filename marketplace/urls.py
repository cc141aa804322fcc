from django.urls import path

from marketplace import api, views

app_name = "marketplace"

urlpatterns = [
    path("expert/", views.expert_home, name="expert-home"),
    path("brands/new/", views.brand_create, name="brand-create"),
    path("brands/<slug:slug>/", views.brand_public, name="brand-public"),
    path("brands/<slug:slug>/manage/", views.brand_dashboard, name="brand-dashboard"),
    path("brands/<slug:slug>/manage/products/", views.product_add, name="product-add"),
    path("brands/<slug:slug>/manage/categories/", views.category_add, name="category-add"),
    path(
        "brands/<slug:slug>/manage/products/<int:product_id>/archive/",
        views.product_archive,
        name="product-archive",
    ),
]

api_urlpatterns = [
    path("", api.ApiRootApi.as_view(), name="root"),
    path("me", api.MeApi.as_view(), name="me"),
    path("brands", api.BrandCreateApi.as_view(), name="brand-create"),
    path("brands/<slug:slug>", api.BrandDetailApi.as_view(), name="brand-detail"),
    path("brands/<slug:slug>/categories", api.CategoryListCreateApi.as_view(), name="categories"),
    path("brands/<slug:slug>/products", api.ProductListCreateApi.as_view(), name="products"),
    path(
        "brands/<slug:slug>/products/<int:product_id>",
        api.ProductDetailApi.as_view(),
        name="product-detail",
    ),
    path("brands/<slug:slug>/members", api.MemberListApi.as_view(), name="members"),
    path("brands/<slug:slug>/experts", api.ExpertListApi.as_view(), name="experts"),
    path(
        "brands/<slug:slug>/experts/<int:expert_id>",
        api.ExpertDetailApi.as_view(),
        name="expert-detail",
    ),
    path("brands/<slug:slug>/api-keys", api.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path(
        "brands/<slug:slug>/api-keys/<int:key_id>",
        api.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]
