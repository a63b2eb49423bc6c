"""Campaign pages under /funds/campaigns/ (namespace "funds")."""

from django.urls import path

from bangfu.funds import views_campaigns as views

urlpatterns: list = [
    path("", views.campaign_list, name="campaigns"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/propose/", views.campaign_propose, name="campaign_propose"),
    path("<int:pk>/payments/", views.campaign_create_payments, name="campaign_create_payments"),
    path("<int:pk>/approve/", views.campaign_approve, name="campaign_approve"),
    path("<int:pk>/batch/", views.campaign_batch, name="campaign_batch"),
]
