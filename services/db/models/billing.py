"""Billing system-of-record tables: plans, customers, invoices, usage, consents, payments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db.models.base import Base, UtcDateTime


class Plan(Base):
    """A rate plan; None allowances mean unlimited."""

    __tablename__ = "plans"

    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    monthly_fee_krw: Mapped[int]
    data_mb: Mapped[int | None]
    voice_min: Mapped[int | None]
    overage_krw_per_mb: Mapped[int]


class Customer(Base):
    """A subscriber with the subscription facts (plan, tenure, contract, discount)."""

    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.plan_id"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    monthly_discount_krw: Mapped[int] = mapped_column(default=0)
    segment: Mapped[str] = mapped_column(String(40), default="standard")


class Invoice(Base):
    """A monthly bill; its total is what was billed, right or wrong."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_customer_period", "customer_id", "period"),)

    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    period: Mapped[str] = mapped_column(String(7))
    issued_on: Mapped[date] = mapped_column(Date)
    total_krw: Mapped[int]

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.line_id", lazy="raise", cascade="all, delete-orphan"
    )


class InvoiceLine(Base):
    """One charge on an invoice."""

    __tablename__ = "invoice_lines"

    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.invoice_id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    amount_krw: Mapped[int]
    service_code: Mapped[str | None] = mapped_column(String(64))
    charged_on: Mapped[date | None] = mapped_column(Date)


class UsageRecordRow(Base):
    """Metered usage of one kind in one billing period."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_customer_period", "customer_id", "period"),)

    usage_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[float]
    country: Mapped[str | None] = mapped_column(String(8))


class Consent(Base):
    """Whether the customer agreed to a value-added service."""

    __tablename__ = "consents"

    consent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    service_code: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Payment(Base):
    """A payment received against an invoice."""

    __tablename__ = "payments"

    payment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.invoice_id"), index=True)
    amount_krw: Mapped[int]
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(40))
