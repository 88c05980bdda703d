"""URLs of the care back office pages (reports and the live monitor)."""

from django.urls import path

from kilowatt.interfaces.backoffice import care_reports

urlpatterns: list = [
    path("care/reports/", care_reports.care_reports, name="care_reports"),
    path("care/reports/export.xlsx", care_reports.care_reports_export, name="care_reports_export"),
    path("care/reports/days.csv", care_reports.care_reports_csv, name="care_reports_csv"),
    path("care/monitor/", care_reports.monitor, name="care_monitor"),
    path("care/monitor/panel/", care_reports.monitor_panel, name="care_monitor_panel"),
]
