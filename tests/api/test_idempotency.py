"""Idempotency-Key on the API's creating requests (casework/idempotency.py; issue 16).

Identical referral creations sent at once used to make as many referrals; with the
same key they make one, and every request gets the same answer.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from casework.idempotency import HEADER, idempotency_keys_expire
from casework.models import ApiIdempotencyKey, Case
from referrals.models import PartnerAgency, PartnerKind, Referral
from tests.api.conftest import cse_intake, snapshot
from tests.api.test_referrals import draft_body
from tests.samples import LAWFUL_BASIS_STEP
from tests.threads import run_in_threads

INTAKE = {"case_type": "cse", **cse_intake()}
KEY = {"HTTP_IDEMPOTENCY_KEY": "raise-7f1c2a"}


@pytest.mark.django_db
def test_a_repeated_raise_with_the_same_key_creates_once_and_answers_the_same(api, users):
    client = api(users["frontline"])

    first = client.post("/api/v1/cases/", INTAKE, format="json", **KEY)
    again = client.post("/api/v1/cases/", INTAKE, format="json", **KEY)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_each_request_creates(api, users):
    client = api(users["frontline"])
    client.post("/api/v1/cases/", INTAKE, format="json")
    client.post("/api/v1/cases/", INTAKE, format="json")
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_400_and_creates_nothing(api, users):
    client = api(users["frontline"])
    client.post("/api/v1/cases/", INTAKE, format="json", **KEY)
    before = snapshot()

    response = client.post(
        "/api/v1/cases/", {**INTAKE, "summary": "Something else."}, format="json", **KEY
    )

    assert response.status_code == 400
    assert HEADER in response.json()["errors"]
    assert snapshot() == before


@pytest.mark.django_db
def test_keys_are_per_user(api, users):
    api(users["frontline"]).post("/api/v1/cases/", INTAKE, format="json", **KEY)
    other = api(users["other_frontline"]).post("/api/v1/cases/", INTAKE, format="json", **KEY)
    assert other.status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_keeps_no_key_so_the_retry_works(api, users):
    client = api(users["frontline"])
    bad = client.post("/api/v1/cases/", {**INTAKE, "summary": ""}, format="json", **KEY)
    assert bad.status_code == 400
    assert not ApiIdempotencyKey.objects.exists()

    good = client.post("/api/v1/cases/", INTAKE, format="json", **KEY)

    assert good.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_a_bad_key_is_400(api, users, key):
    response = api(users["frontline"]).post(
        "/api/v1/cases/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.fixture
def referral_target(api, users, raise_case):
    """A CSE case referred to MASH, and the MASH partner, for drafting referrals."""
    partner = PartnerAgency.objects.create(
        name="Northtown MASH", kind=PartnerKind.CHILDRENS_SOCIAL_CARE_MASH,
        secure_email="mash@partner.example",
    )  # fmt: skip
    case = raise_case(users["frontline"])
    response = api(users["lead"]).post(
        f"/api/v1/cases/{case.reference}/transitions/refer_to_mash/",
        {"version": 1, "referral_method": "marf", "police_informed": True, **LAWFUL_BASIS_STEP},
        format="json",
    )
    assert response.status_code == 200
    return case, partner


@pytest.mark.django_db(transaction=True)
def test_identical_referral_drafts_sent_at_once_make_one_referral(api, users, referral_target):
    case, partner = referral_target
    body = draft_body(partner)
    url = f"/api/v1/cases/{case.reference}/referrals/"

    def send(_: int):
        response = api(users["lead"]).post(
            url, body, format="json", HTTP_IDEMPOTENCY_KEY="referral-1"
        )
        return response.status_code, response.json()["id"]

    results, errors = run_in_threads(send, 6)

    assert errors == []
    assert {status for status, _ in results} == {201}
    assert len({referral_id for _, referral_id in results}) == 1
    assert Referral.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_identical_raises_sent_at_once_make_one_case(api, users):
    def send(_: int):
        response = api(users["frontline"]).post("/api/v1/cases/", INTAKE, format="json", **KEY)
        return response.status_code, response.json()["reference"]

    results, errors = run_in_threads(send, 6)

    assert errors == []
    assert {status for status, _ in results} == {201}
    assert len({reference for _, reference in results}) == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day(api, users):
    api(users["frontline"]).post("/api/v1/cases/", INTAKE, format="json", **KEY)

    assert idempotency_keys_expire(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_keys_expire(now=timezone.now() + timedelta(hours=25)) == 1
