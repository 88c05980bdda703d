from django.contrib import admin

from kilowatt.core import models


@admin.register(models.Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "nip", "country", "is_active"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role"]
    list_filter = ["company", "role"]


@admin.register(models.NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["company", "document_type", "year", "prefix", "pattern", "next_number", "is_closed"]
    readonly_fields = ["next_number"]


@admin.register(models.DictionaryEntry)
class DictionaryEntryAdmin(admin.ModelAdmin):
    list_display = ["company", "dictionary", "code", "label_pl", "label_en", "is_active"]
    list_filter = ["company", "dictionary"]
