from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


def _sync_protocols(sender, verbosity=1, stdout=None, apps=None, **kwargs):
    from palliro.followup.protocols import sync_shipped_protocols

    if apps is not None and not tables_current(apps):
        return  # migrated back to an older schema: the current models cannot be written
    for update in sync_shipped_protocols():
        if verbosity >= 1 and stdout is not None:
            stdout.write(f"  {update}\n")


def tables_current(state_apps, names=("Protocol", "ProtocolStep")) -> bool:
    """Whether the migrated follow-up tables ``names`` have every column of the current models (not when migrated
    back to an older schema, or not yet migrated): post-migrate work must not write them otherwise."""
    from django.apps import apps as current

    for name in names:
        try:
            migrated = state_apps.get_model("followup", name)
        except LookupError:
            return False
        columns = {f.column for f in migrated._meta.concrete_fields}
        if not {f.column for f in current.get_model("followup", name)._meta.concrete_fields} <= columns:
            return False
    return True


def _course_saved(sender, instance, created, raw=False, **kwargs):
    if raw or created:
        return
    from palliro.followup.scheduling import reschedule_course

    if instance.enrolments.filter(active=True).exists():
        reschedule_course(instance)


def _patient_saved(sender, instance, created, raw=False, **kwargs):
    if raw or created:
        return
    from palliro.followup.scheduling import stop_followup

    if instance.is_dead:
        stop_followup(instance, "patient died")
    elif instance.followup_stopped_on or not instance.followup_consent:
        stop_followup(instance, "patient withdrew from follow-up")


def _proxy_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from palliro.followup.scheduling import relative_changed

    relative_changed(instance)


class FollowupConfig(AppConfig):
    name = "palliro.followup"
    label = "followup"
    verbose_name = "Follow-up"

    def ready(self):
        from palliro.clinic.models import Patient, Proxy, RTCourse

        post_migrate.connect(_sync_protocols, sender=self, dispatch_uid="palliro.followup.protocols")
        post_save.connect(_course_saved, sender=RTCourse, dispatch_uid="palliro.followup.reschedule")
        post_save.connect(_patient_saved, sender=Patient, dispatch_uid="palliro.followup.stop")
        post_save.connect(_proxy_saved, sender=Proxy, dispatch_uid="palliro.followup.relative")
