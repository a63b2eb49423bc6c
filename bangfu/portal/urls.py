from django.urls import path

from bangfu.portal import views, views_auth, views_services, views_staff

app_name = "portal"

urlpatterns = [
    # signing in and opening an account (public)
    path("login/", views_auth.login, name="login"),
    path("login/code/", views_auth.login_code, name="login_code"),
    path("login/code/resend/", views_auth.login_code_resend, name="login_code_resend"),
    path("logout/", views_auth.sign_out, name="logout"),
    path("activate/", views_auth.activate, name="activate"),
    path("invitation/", views_auth.invitation, name="invitation"),
    # the worker's own pages
    path("", views.home, name="home"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("archive/", views.archive, name="archive"),
    path("application/", views.application_page, name="application"),
    path("application/submit/", views.application_submit, name="application_submit"),
    path("menu/", views_services.menu, name="menu"),
    path("menu/<int:pk>/order/", views_services.order, name="order"),
    path("requests/", views_services.request_list, name="requests"),
    path("requests/<int:pk>/", views_services.request_detail, name="request"),
    path("offers/", views_services.offers, name="offers"),
    path("offers/<int:pk>/", views_services.offer_detail, name="offer"),
    path("matches/", views_services.matches, name="matches"),
    path("matches/<int:pk>/<str:answer>/", views_services.match_answer, name="match_answer"),
    # union staff: open a member's worker account
    path("staff/members/<int:member_pk>/account/", views_staff.member_account, name="member_account"),
]
