from django.urls import path

from routing import views

app_name = "routing"

urlpatterns = [
    path("customer/", views.customer_home, name="customer-home"),
]
