"""Who may see what. Every view that touches patient data goes through these helpers."""

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from palliro.accounts.models import CARE_ROLES, AuditEvent, Membership, Role


@dataclass(frozen=True)
class StaffContext:
    """The sites a user belongs to, split by what the user may see there."""

    care_site_ids: frozenset[int]
    research_site_ids: frozenset[int]
    roles: frozenset[str]

    @property
    def all_site_ids(self) -> frozenset[int]:
        return self.care_site_ids | self.research_site_ids

    @property
    def is_care_staff(self) -> bool:
        return bool(self.care_site_ids)

    @property
    def is_researcher_only(self) -> bool:
        return not self.care_site_ids and bool(self.research_site_ids)

    def sees_identifiers_at(self, site_id: int) -> bool:
        return site_id in self.care_site_ids


def staff_context(user) -> StaffContext:
    if not user.is_authenticated:
        return StaffContext(frozenset(), frozenset(), frozenset())
    cached = getattr(user, "_palliro_staff_context", None)
    if cached is not None:
        return cached
    care, research, roles = set(), set(), set()
    for site_id, role in Membership.objects.filter(user=user).values_list("site_id", "role"):
        roles.add(role)
        (care if role in CARE_ROLES else research).add(site_id)
    context = StaffContext(frozenset(care), frozenset(research), frozenset(roles))
    user._palliro_staff_context = context
    return context


def two_factor_satisfied(request) -> bool:
    if not settings.REQUIRE_TWO_FACTOR:
        return True
    return bool(getattr(request.user, "is_verified", lambda: False)())


def staff_required(view=None, *, care=False):
    """Logged in, two-factor verified when required, and a member of at least one site.

    With ``care=True`` the user must hold a care role (clinician, nurse or admin) somewhere: researchers
    get 403.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}")
            if not two_factor_satisfied(request):
                return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
            context = staff_context(request.user)
            if not context.all_site_ids:
                raise PermissionDenied("You are not a member of any site.")
            if care and not context.is_care_staff:
                raise PermissionDenied("This page is for the care team.")
            request.staff = context
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def client_ip(request) -> str | None:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None


def audit(request, action: str, *, patient=None, obj=None, detail: str = "") -> AuditEvent:
    """Record that the current user viewed or exported patient data."""
    user = request.user if request.user.is_authenticated else None
    return AuditEvent.objects.create(
        user=user,
        username=user.get_username() if user else "",
        action=action,
        patient=patient,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail[:500],
        path=request.get_full_path()[:500],
        ip_address=client_ip(request),
    )


__all__ = ["Role", "StaffContext", "audit", "staff_context", "staff_required", "two_factor_satisfied"]
