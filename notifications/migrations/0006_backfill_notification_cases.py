"""Back-fill the case of the messages and notifications queued before they recorded it.

A message's case is found from what it stored: a deadline reminder's ``dedupe_key``
names its deadline (and so its case); any other message about a case names its
reference (SC-YYYY-NNNNNN) in its subject, else in its body (a possible match names the
case the recipient acts on first). A message without a link gets the case page's. A
reference that is no longer stored leaves the message as it was.
"""

import re

from django.db import migrations

REFERENCE = re.compile(r"SC-\d{4}-\d{6}")
DEADLINE_KEY = re.compile(r"deadline:(\d+):")


def _found_reference(row):
    for text in (row.subject, row.body):
        found = REFERENCE.search(text or "")
        if found:
            return found.group(0)
    return None


def backfill(apps, schema_editor):
    Case = apps.get_model("casework", "Case")
    Deadline = apps.get_model("workflows", "Deadline")
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    Notification = apps.get_model("notifications", "Notification")
    references = dict(Case.objects.values_list("reference", "pk"))
    by_pk = {pk: reference for reference, pk in references.items()}

    def case_of(row, key):
        found = DEADLINE_KEY.match(key or "")
        if found:
            case_id = Deadline.objects.filter(pk=int(found.group(1))).values_list(
                "case_id", flat=True
            ).first()
            if case_id is not None:
                return case_id
        reference = _found_reference(row)
        return references.get(reference) if reference else None

    for message in OutboxMessage.objects.filter(case__isnull=True).iterator():
        case_id = case_of(message, message.dedupe_key)
        if case_id is None:
            continue
        message.case_id = case_id
        if not message.link:
            message.link = f"/cases/{by_pk[case_id]}/"
        message.save(update_fields=["case", "link"])
    notifications = Notification.objects.filter(case__isnull=True).select_related(
        "outbox_message"
    )
    for notification in notifications.iterator():
        case_id = notification.outbox_message.case_id or case_of(
            notification, notification.outbox_message.dedupe_key
        )
        if case_id is None:
            continue
        notification.case_id = case_id
        if not notification.link:
            notification.link = f"/cases/{by_pk[case_id]}/"
        notification.save(update_fields=["case", "link"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_notifications_link_their_case"),
        ("workflows", "0013_merge_closure_powers_and_state_history"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
