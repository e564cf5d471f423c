from django.conf import settings

from palliro.accounts.access import staff_context


def palliro(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.SITE_NAME,
        "palliro_mode": settings.PALLIRO_MODE,
        "staff": staff_context(user) if user is not None else None,
    }
