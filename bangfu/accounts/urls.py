from django.urls import path

from bangfu.accounts import views, views_users

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("me/", views.my_account, name="me"),
    path("orgs/<int:org_pk>/users/", views_users.org_users, name="org_users"),
    path("orgs/<int:org_pk>/users/new/", views_users.user_create, name="user_create"),
    path("users/<int:pk>/", views_users.user_detail, name="user_detail"),
    path("users/<int:pk>/roles/", views_users.user_roles, name="user_roles"),
    path("users/<int:pk>/reset-password/", views_users.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/unlock/", views_users.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-two-factor/", views_users.user_reset_two_factor, name="user_reset_two_factor"),
]
