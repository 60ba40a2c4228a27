"""Footage request reads: who sees which requests, and the committee pack's figures.

Frontline staff see the requests they made; leads also their teams'; auditors every
request, read-only; administrators none (DESIGN.md "Access": never content). A request
linked to a case the user may not open is hidden too, so footage never reveals a case
(a Prevent case or a Domestic Homicide Review) to someone outside its compartment.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casework.permissions import team_ids_of
from casework.roles import Role, roles_of
from casework.selectors import case_list_for_user
from footage.models import Camera, FootageRequest, RequesterType, RequestStatus


def footage_request_list_for_user(user: Any) -> QuerySet[FootageRequest]:
    """Every request ``user`` may read, filtered in the database."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return FootageRequest.objects.none()
    held = roles_of(user)
    requests = FootageRequest.objects.select_related("team", "case", "requested_by")
    if Role.AUDITOR in held:
        condition = Q()
    elif held & {Role.LEAD, Role.PREVENT_LEAD}:
        condition = Q(requested_by=user) | Q(team_id__in=team_ids_of(user))
    elif Role.FRONTLINE in held:
        condition = Q(requested_by=user)
    else:
        return FootageRequest.objects.none()
    cases = Q(case__isnull=True) | Q(case__in=case_list_for_user(user).values("pk"))
    return requests.filter(condition & cases)


def footage_request_get_for_user(user: Any, pk: int) -> FootageRequest:
    """The request if ``user`` may read it; Http404 otherwise (hidden looks missing)."""
    request = footage_request_list_for_user(user).filter(pk=pk).first()
    if request is None:
        raise Http404("No footage request found.")
    return request


def camera_list() -> QuerySet[Camera]:
    """The camera register (no personal data): active cameras first."""
    return Camera.objects.order_by("-active", "camera_id")


def footage_figures(
    *, year: int | None = None, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """The committee pack's figures for requests made in the calendar ``year``, or on the
    inclusive dates ``start`` to ``end`` (UK time; the pack gives its reporting year to
    date): by requester type, approved, refused (and of those refused at once because
    the footage could not be preserved in time), preserved in time (exported before the
    overwrite) and lost to the overwrite. Counts only; no request's content."""
    if year is not None:
        start, end = date(year, 1, 1), date(year, 12, 31)
    if start is None or end is None:
        raise ValueError("Give a year, or a start and an end.")
    tz = timezone.get_current_timezone()
    after = datetime.combine(start, time.min, tzinfo=tz)
    before = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    made = FootageRequest.objects.filter(requested_at__gte=after, requested_at__lt=before)
    by_type = dict.fromkeys(RequesterType.values, 0)
    by_type.update(dict(made.values_list("requester_type").annotate(n=Count("pk"))))
    decided = Q(decided_by__isnull=False)
    totals = made.aggregate(
        requests=Count("pk"),
        approved=Count("pk", filter=decided & ~Q(lawful_basis="")),
        refused=Count("pk", filter=Q(status=RequestStatus.REFUSED)),
        refused_too_late=Count(
            "pk", filter=Q(status=RequestStatus.REFUSED, decided_by__isnull=True)
        ),
        preserved_in_time=Count(
            "pk", filter=Q(exported_at__isnull=False, exported_at__lt=F("overwrite_at"))
        ),
        lost_to_overwrite=Count("pk", filter=Q(status=RequestStatus.LOST)),
    )
    return {"year": year, "start": start, "end": end, "by_requester_type": by_type, **totals}
