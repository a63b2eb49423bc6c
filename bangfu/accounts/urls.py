from django.contrib.auth import views as auth_views
from django.urls import path

from bangfu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("me/", views.my_account, name="me"),
]
