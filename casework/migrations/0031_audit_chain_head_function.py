"""``safecase_audit_chain_head(key)``: take the audit chain's lock and read its head.

``casework.audit.audit_record_many`` took the chain's advisory lock in one statement and
read the last event's hash in a second, both while every other writer waited for the
lock. This function does both in one round trip. It must be VOLATILE and in PL/pgSQL:
at READ COMMITTED each statement of a VOLATILE function takes a fresh snapshot, so the
head is read *after* the lock is granted and sees the event the previous holder
committed while this one waited (a single ``SELECT pg_advisory_xact_lock(...), (SELECT
hash ...)`` would read with the snapshot taken before the wait, and fork the chain).
``tests/casework/test_audit_chain_append.py`` writes from several threads at once
and walks the chain.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION safecase_audit_chain_head(lock_key bigint) RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN (SELECT hash FROM casework_auditevent ORDER BY id DESC LIMIT 1);
END
$$
"""

DROP = "DROP FUNCTION safecase_audit_chain_head(bigint)"


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0030_search_access_keys_one_per_holder"),
    ]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
