"""The synthetic world: deterministic, and its ground truth agrees with its bills."""

from __future__ import annotations

import calendar
from datetime import date

import pytest

from services.schemas import AnomalyKind, ChargeKind, InvoiceLineRecord, UsageKind
from simulator import SyntheticWorld, generate_world
from simulator.catalog import plan_by_id

TODAY = date(2025, 6, 15)


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return generate_world(seed=11, customers=80, today=TODAY)


def _lines(world: SyntheticWorld, invoice_id: str) -> dict[str, InvoiceLineRecord]:
    invoice = next(i for i in world.billing.invoices if i.invoice_id == invoice_id)
    return {line.line_id: line for line in invoice.lines}


def test_same_seed_same_world_and_other_seed_differs() -> None:
    a = generate_world(seed=5, customers=30, today=TODAY)
    b = generate_world(seed=5, customers=30, today=TODAY)
    c = generate_world(seed=6, customers=30, today=TODAY)
    assert a.model_dump_json() == b.model_dump_json()
    assert a.model_dump_json() != c.model_dump_json()


def test_shape_is_realistic(world: SyntheticWorld) -> None:
    billing = world.billing
    assert len(billing.customers) == 80
    assert len(billing.invoices) == 80 * 3
    assert {i.period for i in billing.invoices} == {"2025-03", "2025-04", "2025-05"}
    phones = [c.phone for c in billing.customers]
    assert len(set(phones)) == len(phones)
    assert all(p.startswith("010-") and len(p) == 13 for p in phones)
    assert all("가" <= c.name[0] <= "힣" for c in billing.customers)
    soon = [c for c in billing.customers if c.contract_end and (c.contract_end - TODAY).days <= 60]
    assert soon, "some contracts end within 60 days"
    for invoice in billing.invoices:
        assert invoice.total_krw == sum(line.amount_krw for line in invoice.lines)
        assert invoice.issued_on <= TODAY
    kinds = {line.kind for i in billing.invoices for line in i.lines}
    assert {ChargeKind.PLAN, ChargeKind.DISCOUNT, ChargeKind.DEVICE_INSTALLMENT} <= kinds
    assert {ChargeKind.VALUE_ADDED_SERVICE, ChargeKind.MICROPAYMENT, ChargeKind.ROAMING} <= kinds
    assert billing.payments and billing.consents


def test_every_anomaly_kind_is_planted(world: SyntheticWorld) -> None:
    assert {a.kind for a in world.anomalies} == set(AnomalyKind)
    assert len({a.customer_id for a in world.anomalies}) == len(world.anomalies)


def test_anomaly_credit_matches_invoice_lines(world: SyntheticWorld) -> None:
    usage = world.billing.usage
    consents = world.billing.consents
    for anomaly in world.anomalies:
        lines = _lines(world, anomaly.invoice_id)
        disputed = [lines[i] for i in anomaly.line_ids]
        customer = world.customer(anomaly.customer_id)
        if anomaly.kind is AnomalyKind.DUPLICATE_CHARGE:
            first, copy = disputed
            same = ("kind", "description", "amount_krw", "service_code", "charged_on")
            assert all(getattr(first, f) == getattr(copy, f) for f in same)
            assert anomaly.expected_credit_krw == copy.amount_krw
            assert anomaly.needs_review is (copy.kind is ChargeKind.MICROPAYMENT)
            continue
        assert not anomaly.needs_review
        if anomaly.kind is AnomalyKind.ROAMING_WITHOUT_USAGE:
            assert disputed[0].kind is ChargeKind.ROAMING
            assert not [
                u
                for u in usage
                if u.customer_id == customer.customer_id
                and u.period == anomaly.period
                and u.kind is UsageKind.ROAMING_DATA_MB
            ]
            assert anomaly.expected_credit_krw == disputed[0].amount_krw
        elif anomaly.kind is AnomalyKind.VAS_WITHOUT_CONSENT:
            code = disputed[0].service_code
            assert not [
                c
                for c in consents
                if c.customer_id == customer.customer_id and c.service_code == code and c.granted
            ]
            assert anomaly.expected_credit_krw == disputed[0].amount_krw
        elif anomaly.kind is AnomalyKind.OVERAGE_ON_UNLIMITED:
            assert plan_by_id(customer.plan_id).data_mb is None
            assert disputed[0].kind is ChargeKind.DATA_OVERAGE
            assert anomaly.expected_credit_krw == disputed[0].amount_krw
        else:
            line = disputed[0]
            assert line.kind is ChargeKind.PRORATION
            days = int(line.description.rsplit(", ", 1)[1].rstrip("일)"))
            fee = plan_by_id(line.service_code or "").monthly_fee_krw
            year, month = map(int, anomaly.period.split("-"))
            days_in_month = calendar.monthrange(year, month)[1]
            correct = fee * days // days_in_month // 10 * 10
            assert anomaly.charged_krw == line.amount_krw
            assert anomaly.expected_credit_krw == line.amount_krw - correct > 0


def test_valid_look_alikes_carry_no_anomaly(world: SyntheticWorld) -> None:
    assert {v.kind for v in world.valid_charges} == {
        ChargeKind.ROAMING,
        ChargeKind.DATA_OVERAGE,
        ChargeKind.PRORATION,
    }
    anomalous = {a.customer_id for a in world.anomalies}
    for valid in world.valid_charges:
        assert valid.customer_id not in anomalous
        assert world.anomaly_of(valid.customer_id) is None
        lines = _lines(world, valid.invoice_id)
        assert sum(lines[i].amount_krw for i in valid.line_ids) == valid.charged_krw
        if valid.kind is ChargeKind.ROAMING:
            country = (lines[valid.line_ids[0]].service_code or "").removeprefix("ROAM-")
            assert [
                u
                for u in world.billing.usage
                if u.customer_id == valid.customer_id
                and u.period == valid.period
                and u.kind is UsageKind.ROAMING_DATA_MB
                and u.country == country
            ]
        if valid.kind is ChargeKind.DATA_OVERAGE:
            assert plan_by_id(world.customer(valid.customer_id).plan_id).data_mb is not None


def test_clean_customers_have_no_roaming_or_overage(world: SyntheticWorld) -> None:
    flagged = {a.customer_id for a in world.anomalies} | {
        v.customer_id for v in world.valid_charges
    }
    for invoice in world.billing.invoices:
        if invoice.customer_id in flagged:
            continue
        assert not [
            line
            for line in invoice.lines
            if line.kind in (ChargeKind.ROAMING, ChargeKind.DATA_OVERAGE)
        ]
