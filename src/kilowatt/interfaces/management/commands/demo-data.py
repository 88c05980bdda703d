"""kilowatt demo-data --customers N: realistic Polish demo data for a demo company."""

import time

from django.core.management.base import BaseCommand

from kilowatt.core.clock import system_clock
from kilowatt.core.periods import month_start
from kilowatt.interfaces.cli.demo_billing import demo_billing_history, demo_reads_generate
from kilowatt.interfaces.cli.demo_care import demo_care_setup
from kilowatt.interfaces.cli.demo_channels import demo_channels_setup
from kilowatt.interfaces.cli.demo_collections import demo_finance_setup, demo_payments_generate
from kilowatt.interfaces.cli.demo_data import demo_company_ensure, demo_data_generate, staff_ensure
from kilowatt.interfaces.cli.demo_sales import demo_leads_generate, demo_offers_setup
from kilowatt.interfaces.cli.demo_switching import demo_switching_setup
from kilowatt.parties.models import Customer


class Command(BaseCommand):
    help = "Generate demo companies, staff logins, customers, supply points, meters and contracts."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=500)
        parser.add_argument(
            "--company", default="demo", help="code of the company to fill (created if missing)"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the company has customers"
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--no-billing", action="store_true", help="generate no meter reads and bill no history"
        )

    def handle(self, *args, customers, company, seed, if_empty, batch_size, no_billing, **options):
        target = demo_company_ensure(code=company)
        staff_ensure(company=target)
        if company == "demo":
            north = demo_company_ensure(code="north")
            staff_ensure(company=north, prefix="north-")
            if not Customer.objects.filter(company=north).exists():
                demo_data_generate(
                    company=north, customers=max(customers // 10, 5), seed=seed + 1, now=system_clock.now()
                )
                if not no_billing:
                    self._billing(north, seed + 1)
        if if_empty and Customer.objects.filter(company=target).exists():
            self.stdout.write(f"{target.name} already has customers: nothing generated.")
            return
        started = time.perf_counter()
        result = demo_data_generate(
            company=target, customers=customers, seed=seed, now=system_clock.now(), batch_size=batch_size
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{target.name}: {result.customers} customers, {result.supply_points} supply points, "
            f"{result.contracts} contracts in {elapsed:.1f} s"
        )
        if not no_billing:
            self._billing(target, seed)

    def _billing(self, company, seed):
        """Reads up to today, and every month billed up to the one before last (left for the tour)."""
        started = time.perf_counter()
        today, now = system_clock.today(), system_clock.now()
        reads = demo_reads_generate(company=company, until=today, seed=seed, now=now)
        runs = demo_billing_history(company=company, through=month_start(today, offset=-2), now=now)
        invoices = sum(run.items.filter(status="issued").count() for run in runs)
        self.stdout.write(
            f"{company.name}: {reads} meter reads, {len(runs)} monthly billing runs, {invoices} invoices "
            f"in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        demo_finance_setup(company=company)
        paid = demo_payments_generate(
            company=company, today=today, seed=seed, now=now, tour=company.code != "north"
        )
        self.stdout.write(
            f"{company.name}: {paid.payments} payments on {paid.statements} bank statements, "
            f"{len(paid.debtors)} customers behind with payments, in {time.perf_counter() - started:.1f} s"
        )
        leads = demo_leads_generate(company=company, count=40, seed=seed, now=now)
        if leads:
            self.stdout.write(f"{company.name}: {leads} leads in two campaigns")
        if demo_offers_setup(company=company, now=now):
            self.stdout.write(f"{company.name}: offer templates, competitors' prices and contract wording")
        if processes := demo_switching_setup(company=company, now=now):
            self.stdout.write(f"{company.name}: {processes} switch processes with the local fake DSO")
        if company.code != "north" and (agents := demo_channels_setup(company=company, today=today, now=now)):
            self.stdout.write(f"{company.name}: sales channels, partner organisations and {agents} agents")
        if tour := demo_care_setup(company=company, now=now):
            tickets = tour.outage.company.tickets.count()
            self.stdout.write(
                f"{company.name}: care teams, ticket types, {tickets} earlier tickets, outage {tour.outage}"
            )
        if paid.tour_statement:
            self.stdout.write(f"Statement for the tour (Payments → import): {paid.tour_statement}")
