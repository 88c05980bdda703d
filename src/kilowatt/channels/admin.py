"""Configuration of the sales channels for superusers: channels, partner organisations in their hierarchy,
agents and sales targets. Creating an organisation and adding an agent go through the channels'
operations (the path of an organisation is set, staff are never agents); moving an organisation under
another parent refreshes its path and its branches'."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kilowatt.channels import models
from kilowatt.channels.operations import agent_add, organisation_create, organisation_path_refresh
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Membership


@admin.register(models.SalesChannel)
class SalesChannelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "company", "kind", "is_active")
    list_filter = ("company", "kind", "is_active")
    search_fields = ("code", "name")


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = models.Organisation
        fields = (
            "company",
            "channel",
            "parent",
            "code",
            "name",
            "nip",
            "email",
            "bank_account",
            "products",
            "product_kinds",
            "is_active",
        )

    def clean_product_kinds(self):
        kinds = self.cleaned_data.get("product_kinds") or []
        if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
            raise forms.ValidationError(_('Give a list of product kinds, e.g. ["energy"].'))
        unknown = sorted(set(kinds) - models.PRODUCT_KIND_VALUES)
        if unknown:
            raise forms.ValidationError(_("Unknown product kind: %(kinds)s.") % {"kinds": ", ".join(unknown)})
        return kinds

    def clean(self):
        cleaned = super().clean()
        company = cleaned.get("company") or (self.instance.company if self.instance.pk else None)
        channel, parent = cleaned.get("channel"), cleaned.get("parent")
        if channel is not None and company is not None and channel.company_id != company.pk:
            self.add_error("channel", _("The channel belongs to another company."))
        if parent is not None and (
            (company is not None and parent.company_id != company.pk)
            or (channel is not None and parent.channel_id != channel.pk)
        ):
            self.add_error("parent", _("A branch belongs to an organisation of the same channel."))
        me = self.instance
        if parent is not None and me.pk and (parent.pk == me.pk or f"/{me.pk}/" in parent.path):
            self.add_error("parent", _("An organisation cannot be a branch of its own branch."))
        if me.pk and channel is not None and channel.pk != me.channel_id and me.branches.exists():
            self.add_error("channel", _("Move the branches first: they belong to the same channel."))
        return cleaned


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("name", "code", "company", "channel", "parent", "path", "is_active")
    list_filter = ("company", "channel", "is_active")
    search_fields = ("code", "name", "nip")
    readonly_fields = ("path", "created_at")
    filter_horizontal = ("products",)

    def get_readonly_fields(self, request, obj=None):
        # An organisation never changes company: its contracts, agents and commissions stay where they are.
        return (*self.readonly_fields, "company") if obj is not None else self.readonly_fields

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = organisation_create(
                company=data["company"],
                channel=data["channel"],
                code=data["code"],
                name=data["name"],
                parent=data.get("parent"),
                nip=data.get("nip", ""),
                email=data.get("email", ""),
                bank_account=data.get("bank_account", ""),
                product_kinds=data.get("product_kinds") or [],
                now=system_clock.now(),
            )
            if not data.get("is_active", True):
                models.Organisation.objects.filter(pk=created.pk).update(is_active=False)
            # The form saves the products (many-to-many) onto this instance next.
            obj.pk, obj.path, obj.created_at = created.pk, created.path, created.created_at
            obj._state.adding, obj._state.db = False, created._state.db
            return
        parent_changed = "parent" in form.changed_data
        super().save_model(request, obj, form, change)
        if parent_changed:
            organisation_path_refresh(organisation=obj)


class AgentForm(forms.ModelForm):
    class Meta:
        model = models.Agent
        fields = ("user", "organisation", "code", "role", "phone", "is_active")

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user")
        if user is not None and Membership.objects.filter(user_id=user.pk).exists():
            self.add_error("user", _("This person works in the back office and cannot be an agent."))
        return cleaned


@admin.register(models.Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ("__str__", "organisation", "role", "is_active")
    list_filter = ("organisation__company", "role", "is_active")
    search_fields = ("code", "user__username", "user__last_name")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = agent_add(
            organisation=data["organisation"],
            user=data["user"],
            code=data["code"],
            role=data["role"],
            phone=data.get("phone", ""),
        )
        if not data.get("is_active", True):
            models.Agent.objects.filter(pk=created.pk).update(is_active=False)
        obj.pk = created.pk
        obj._state.adding, obj._state.db = False, created._state.db


class SalesTargetForm(forms.ModelForm):
    class Meta:
        model = models.SalesTarget
        fields = (
            "company",
            "channel",
            "organisation",
            "agent",
            "period_start",
            "period_end",
            "metric",
            "commodity",
            "product",
            "goal",
        )

    def clean(self):
        cleaned = super().clean()
        company = cleaned.get("company")
        holders = [cleaned.get(name) for name in ("channel", "organisation", "agent")]
        given = [holder for holder in holders if holder is not None]
        if len(given) != 1:
            raise forms.ValidationError(
                _("Set the target for one sales channel, one organisation or one agent.")
            )
        holder = given[0]
        holder_company = (
            holder.organisation.company_id if isinstance(holder, models.Agent) else holder.company_id
        )
        if company is not None and holder_company != company.pk:
            raise forms.ValidationError(_("The holder of the target belongs to another company."))
        product = cleaned.get("product")
        if product is not None and company is not None and product.company_id != company.pk:
            self.add_error("product", _("The product belongs to another company."))
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end <= start:
            self.add_error("period_end", _("The period must end after it starts."))
        goal = cleaned.get("goal")
        if goal is not None and goal <= 0:
            self.add_error("goal", _("The goal must be more than zero."))
        return cleaned


@admin.register(models.SalesTarget)
class SalesTargetAdmin(admin.ModelAdmin):
    form = SalesTargetForm
    list_display = (
        "id",
        "company",
        "channel",
        "organisation",
        "agent",
        "period_start",
        "period_end",
        "metric",
        "goal",
    )
    list_filter = ("company", "metric")
    date_hierarchy = "period_start"
