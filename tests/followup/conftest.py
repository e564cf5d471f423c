"""Fixtures of the follow-up tests (defined in staff_fixtures.py so that other test modules can import helpers)."""

from tests.followup.staff_fixtures import ann_course, ann_invitation, ann_proxy, bob_invitation  # noqa: F401
