"""URLs of the work lists, mounted at /work/."""

from django.urls import path

from bangfu.worklist import views

app_name = "worklist"

urlpatterns: list = [
    path("", views.my_work, name="home"),
    path("<slug:section>/", views.section_list, name="list"),
]
