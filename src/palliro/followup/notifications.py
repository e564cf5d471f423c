"""Sending invitation links: by e-mail through Django's mail backend, by SMS through a pluggable sender.

The SMS sender is chosen with the setting ``PALLIRO_SMS_SENDER``, a dotted path to a class with a
``send(message)`` method (see :class:`Sender`); the default, :class:`LoggingSmsSender`, only writes the
message to the ``palliro.sms`` log, which is what the demo and development modes want. A hospital plugs in
its SMS gateway by writing one small class.

A recipient with an e-mail address gets e-mail; otherwise one with a phone number gets an SMS; a recipient
with neither gets nothing and the staff page offers the printed handout instead.

An invitation whose link went out on no channel is still opened (state ``sent``: its window runs, reminders are
counted), but nobody received the link. Staff pages must never call it "Sent": :func:`link_not_sent` tells them,
and they say :data:`NOT_SENT_LABEL` instead, so that a nurse hands the link over (handout, QR code, read out) or
adds an address and sends it.
"""

import logging
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string

from palliro.followup import messages
from palliro.followup.models import Invitation, InvitationState, Respondent

DEFAULT_SMS_SENDER = "palliro.followup.notifications.LoggingSmsSender"

sms_log = logging.getLogger("palliro.sms")


class Channel:
    EMAIL = "email"
    SMS = "sms"
    NONE = "none"  # no address or number on file: the link can only be handed out on paper


#: What staff pages show instead of "Sent" for a link that went out on no channel.
NOT_SENT_LABEL = "Not sent: no address — hand over the link"
#: The same for a time point whose window closed without its link ever reaching the respondent.
NEVER_SENT_LABEL = "Expired: never sent (no address)"


def link_not_sent(invitation: Invitation) -> bool:
    """The invitation is open as 'sent' but its link last went out on no channel (no e-mail address or mobile
    number on file): the respondent does not have it unless staff handed it over."""
    return invitation.state == InvitationState.SENT and invitation.channel == Channel.NONE


def state_label(invitation: Invitation) -> str:
    """The invitation's state as staff pages show it: never "Sent" for a link nobody received."""
    if invitation.channel == Channel.NONE and invitation.state == InvitationState.SENT:
        return NOT_SENT_LABEL
    if invitation.channel == Channel.NONE and invitation.state == InvitationState.EXPIRED:
        return NEVER_SENT_LABEL
    return invitation.get_state_display()


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    subject: str
    body: str
    language: str


class Sender(TypingProtocol):
    channel: str

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the message or raise; a raised error leaves the invitation to be retried."""


class EmailSender:
    channel = Channel.EMAIL

    def send(self, message: OutgoingMessage) -> None:
        EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to]).send()


class LoggingSmsSender:
    """Writes the SMS to the log instead of sending it: for the demo and development only.

    The log line holds the link, so this sender must not be used where logs are read by people who should
    not answer the questionnaire.
    """

    channel = Channel.SMS

    def send(self, message: OutgoingMessage) -> None:
        sms_log.info("SMS to %s: %s", mask_number(message.to), message.body)


def mask_number(number: str) -> str:
    digits = [c for c in number if c.isdigit()]
    return "…" + "".join(digits[-4:]) if len(digits) > 4 else "…"


def sms_sender() -> Sender:
    path = getattr(settings, "PALLIRO_SMS_SENDER", DEFAULT_SMS_SENDER)
    try:
        sender_class = import_string(path)
    except ImportError as exc:
        raise ValueError(f"PALLIRO_SMS_SENDER: cannot import {path!r} ({exc})") from None
    return sender_class()


def email_sender() -> Sender:
    return EmailSender()


@dataclass(frozen=True)
class Recipient:
    first_name: str
    email: str
    phone: str
    language: str
    audience: str  # "patient" or "proxy"


def recipient_of(invitation: Invitation) -> Recipient:
    patient = invitation.patient
    if invitation.respondent == Respondent.PROXY and invitation.proxy is not None:
        proxy = invitation.proxy
        first = (proxy.name.split() or [""])[0]
        return Recipient(first, proxy.email, proxy.phone, proxy.language, "proxy")
    return Recipient(patient.given_name, patient.email, patient.phone, patient.language, "patient")


def channel_for(recipient: Recipient) -> str:
    if recipient.email:
        return Channel.EMAIL
    if recipient.phone:
        return Channel.SMS
    return Channel.NONE


def build_message(invitation: Invitation, kind: str) -> OutgoingMessage | None:
    """The message for an invitation ('invitation' or 'reminder'), or None when there is no channel."""
    recipient = recipient_of(invitation)
    channel = channel_for(recipient)
    if channel == Channel.NONE:
        return None
    site = invitation.patient.site
    text = messages.render(
        language=recipient.language, audience=recipient.audience, kind=kind, first_name=recipient.first_name,
        patient_first_name=invitation.patient.given_name, site=site.name, link=invitation.link(),
        until=timezone.localtime(invitation.expires_at, _zone(site)).date(), phone=site.phone,
    )
    if channel == Channel.EMAIL:
        return OutgoingMessage(channel, recipient.email, text.subject, text.body, recipient.language)
    return OutgoingMessage(channel, recipient.phone, "", text.sms, recipient.language)


def _zone(site):
    from zoneinfo import ZoneInfo

    return ZoneInfo(site.timezone)


def deliver(invitation: Invitation, kind: str) -> str:
    """Send the invitation's message by its recipient's channel; returns the channel used."""
    message = build_message(invitation, kind)
    if message is None:
        return Channel.NONE
    sender = email_sender() if message.channel == Channel.EMAIL else sms_sender()
    sender.send(message)
    return message.channel
