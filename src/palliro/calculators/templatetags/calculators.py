"""Template helpers: ``{% course_dose course as d %}``, ``{% patient_prognosis patient as items %}`` and the
``cell`` filter that formats numbers the same way as the CSV/CLI output."""

from django import template

from palliro.calculators import output, patient

register = template.Library()


@register.simple_tag
def course_dose(course):
    """BED/EQD2 summary of an RT course (see :func:`palliro.calculators.patient.course_dose`)."""
    return patient.course_dose(course)


@register.simple_tag
def course_pain(course):
    """ICE pain response and flare of a course (see :func:`palliro.calculators.patient.course_pain_endpoints`).

    Data that the endpoint rules refuse (a ValueError naming the problem) is shown as that message on the page
    rather than breaking the patient's whole record.
    """
    try:
        return patient.course_pain_endpoints(course)
    except ValueError as error:
        return {"problem": str(error)}


@register.simple_tag
def patient_prognosis(patient_obj):
    """Prognostic models for a patient (see :func:`palliro.calculators.patient.prognosis_for_patient`)."""
    return patient.prognosis_for_patient(patient_obj)


@register.filter
def cell(value, digits=2):
    return output.fmt(value, int(digits))
