"""Senders, message texts and the handout QR code."""

import logging
from datetime import date

import pytest
from django.core import mail

from palliro.followup import messages
from palliro.followup.handout import build as build_handout
from palliro.followup.handout import qr_svg
from palliro.followup.notifications import (
    EmailSender,
    LoggingSmsSender,
    OutgoingMessage,
    build_message,
    deliver,
    mask_number,
    sms_sender,
)


class BrokenSender:
    channel = "sms"

    def send(self, message):
        raise ConnectionError("gateway down")


class RecordingSender:
    channel = "sms"
    sent: list = []

    def send(self, message):
        RecordingSender.sent.append(message)


LINK = "https://palliro.example/r/abc/"


@pytest.mark.parametrize("language", messages.LANGUAGES)
@pytest.mark.parametrize("audience", messages.AUDIENCES)
@pytest.mark.parametrize("kind", messages.KINDS)
def test_every_message_has_link_phone_and_date(language, audience, kind):
    text = messages.render(language=language, audience=audience, kind=kind, first_name="Ann",
                           patient_first_name="Bea", site="Site A", link=LINK, until=date(2026, 3, 9),
                           phone="+31 20 000 0000")
    for body in (text.body, text.sms):
        assert LINK in body and "+31 20 000 0000" in body and "9" in body and "{" not in body
    assert "Site A" in text.subject
    assert ("Bea" in text.body) == (audience == "proxy")


def test_sms_texts_stay_short():
    for language in messages.LANGUAGES:
        for audience in messages.AUDIENCES:
            for kind in messages.KINDS:
                text = messages.render(language=language, audience=audience, kind=kind, first_name="Annemarie",
                                       patient_first_name="Bartholomeus", site="Ziekenhuis", link=LINK,
                                       until=date(2026, 12, 31), phone="+31 20 000 0000")
                assert len(text.sms) < 320, (language, audience, kind)  # at most two SMS segments


def test_written_dates():
    assert messages.written_date(date(2026, 3, 9), "en") == "March 9, 2026"
    assert messages.written_date(date(2026, 3, 9), "nl") == "9 maart 2026"
    assert messages.written_date(date(2026, 8, 1), "fr") == "1 août 2026"


def test_a_missing_site_phone_is_worded():
    text = messages.render(language="en", audience="patient", kind="invitation", first_name="Ann", site="A",
                           link=LINK, until=date(2026, 3, 9), phone="")
    assert "your hospital" in text.body


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        messages.render(language="en", audience="patient", kind="nudge", first_name="A", site="S", link=LINK,
                        until=date(2026, 1, 1), phone="1")


@pytest.mark.django_db
class TestDelivery:
    def test_email_goes_through_djangos_mail_backend(self):
        EmailSender().send(OutgoingMessage("email", "ann@example.org", "Subject", "Body", "en"))
        assert mail.outbox[0].to == ["ann@example.org"] and mail.outbox[0].subject == "Subject"

    def test_the_message_names_the_first_name_only(self, ann_invitation):
        message = build_message(ann_invitation, "invitation")
        assert message.channel == "email" and message.to == "ann@example.org"
        assert "Ann" in message.body and ann_invitation.link() in message.body
        for identifier in ("Andersen", "A-0001", "1950", "breast"):
            assert identifier not in message.body and identifier not in message.subject

    def test_the_sms_sender_is_chosen_by_setting(self, ann_invitation, settings):
        settings.PALLIRO_SMS_SENDER = "tests.followup.test_notifications.RecordingSender"
        RecordingSender.sent.clear()
        ann_invitation.patient.email = ""
        assert deliver(ann_invitation, "reminder") == "sms"
        assert RecordingSender.sent[0].to == "+31 6 1234 5678" and ann_invitation.link() in RecordingSender.sent[0].body

    def test_a_bad_sender_path_names_the_setting(self, settings):
        settings.PALLIRO_SMS_SENDER = "palliro.no_such_module.Sender"
        with pytest.raises(ValueError, match="PALLIRO_SMS_SENDER"):
            sms_sender()

    def test_the_default_sms_sender_logs_a_masked_number(self, caplog):
        with caplog.at_level(logging.INFO, logger="palliro.sms"):
            LoggingSmsSender().send(OutgoingMessage("sms", "+31 6 1234 5678", "", "hello", "en"))
        assert "…5678: hello" in caplog.text and "1234 5678" not in caplog.text
        assert mask_number("12") == "…"


def test_qr_svg_is_inline_svg_without_script_or_style():
    svg = str(qr_svg(LINK))
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg and 'class="qr"' in svg


def test_handout_is_in_the_recipients_language():
    handout = build_handout(link=LINK, language="fr", site="Site A", phone="", until=date(2026, 3, 9))
    assert handout.heading == "Un court questionnaire de Site A" and "votre hôpital" in handout.instructions
    assert "9 mars 2026" in handout.instructions
