"""The public satisfaction survey page (no login: the link's token names the survey)."""

from django.urls import path

from kilowatt.interfaces.survey import survey_page

urlpatterns: list = [
    path("<str:token>/", survey_page, name="survey"),
]
