"""The admin shows a site administrator only their own sites' records; superusers see everything."""

import pytest
from django.urls import reverse

from palliro.accounts.models import Membership, Role
from tests.conftest import make_user


@pytest.fixture
def admin_a(site_a):
    user = make_user("admin-a", (site_a, Role.ADMIN))
    user.is_staff = True
    user.save()
    from django.contrib.auth.models import Permission

    user.user_permissions.set(Permission.objects.filter(content_type__app_label="clinic"))
    return user


@pytest.mark.django_db
class TestClinicAdmin:
    def test_a_site_admin_sees_only_their_sites_patients(self, login, admin_a, ann, bob):
        response = login(admin_a).get(reverse("admin:clinic_patient_changelist"))
        assert response.status_code == 200
        assert b"Andersen" in response.content and b"Bakker" not in response.content

    def test_another_sites_patient_is_not_editable(self, login, admin_a, bob):
        response = login(admin_a).get(reverse("admin:clinic_patient_change", args=[bob.pk]))
        assert response.status_code in (302, 404)
        assert b"Bakker" not in response.content

    def test_a_superuser_sees_every_site(self, login, superuser, ann, bob):
        response = login(superuser).get(reverse("admin:clinic_patient_changelist"))
        assert b"Andersen" in response.content and b"Bakker" in response.content

    def test_nurses_cannot_open_the_admin(self, login, nurse_a):
        response = login(nurse_a).get(reverse("admin:clinic_patient_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response.url

    def test_users_are_edited_with_their_memberships(self, login, superuser, nurse_a):
        response = login(superuser).get(reverse("admin:auth_user_change", args=[nurse_a.pk]))
        assert response.status_code == 200 and b"memberships" in response.content.lower()
        assert Membership.objects.filter(user=nurse_a).exists()


@pytest.mark.django_db
def test_admin_views_of_patient_data_are_audited(login, superuser, ann):
    from palliro.accounts.models import AuditEvent

    client = login(superuser)
    client.get(reverse("admin:clinic_patient_changelist"))
    client.get(reverse("admin:clinic_patient_change", args=[ann.pk]))
    assert AuditEvent.objects.filter(action="admin_patient_list").exists()
    assert AuditEvent.objects.get(action="admin_patient_view").patient == ann
