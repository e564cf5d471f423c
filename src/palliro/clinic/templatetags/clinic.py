from django import template
from django.utils import timezone

from palliro.clinic.choices import MetastaticSite

register = template.Library()


@register.filter
def age_today(patient) -> int:
    reference = patient.death_date or timezone.localdate()
    return patient.age_on(reference)


@register.filter
def metastatic_labels(codes) -> str:
    labels = dict(MetastaticSite.choices)
    return ", ".join(labels.get(code, code) for code in codes or [])
