"""A clock's and a referral's copy of their case's team and type, kept by the database.

Filled from the cases once (without a history event per referral: nothing about the
referral changed), then kept equal by two triggers: a row written with any team or type
takes its case's, and a case whose team or type changes (a general concern given its
type) passes them on. ``workflows.case_facts`` says why.
"""

import pgtrigger
from django.db import migrations

FILL = """
UPDATE workflows_deadline d SET team_id = c.team_id, case_type = c.case_type
  FROM casework_case c WHERE c.id = d.case_id;
UPDATE referrals_referral r SET team_id = c.team_id, case_type = c.case_type
  FROM casework_case c WHERE c.id = r.case_id;
"""

TRIGGERS = """
CREATE FUNCTION safecase_copy_case_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT c.team_id, c.case_type INTO NEW.team_id, NEW.case_type
    FROM casework_case c WHERE c.id = NEW.case_id;
  RETURN NEW;
END $$;
CREATE TRIGGER deadline_case_facts
  BEFORE INSERT OR UPDATE OF case_id, team_id, case_type ON workflows_deadline
  FOR EACH ROW EXECUTE FUNCTION safecase_copy_case_facts();
CREATE TRIGGER referral_case_facts
  BEFORE INSERT OR UPDATE OF case_id, team_id, case_type ON referrals_referral
  FOR EACH ROW EXECUTE FUNCTION safecase_copy_case_facts();

CREATE FUNCTION safecase_pass_on_case_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE workflows_deadline SET team_id = NEW.team_id, case_type = NEW.case_type
    WHERE case_id = NEW.id;
  UPDATE referrals_referral SET team_id = NEW.team_id, case_type = NEW.case_type
    WHERE case_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER case_facts_pass_on
  AFTER UPDATE OF team_id, case_type ON casework_case
  FOR EACH ROW
  WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.case_type IS DISTINCT FROM NEW.case_type)
  EXECUTE FUNCTION safecase_pass_on_case_facts();
"""

DROP = """
DROP TRIGGER IF EXISTS case_facts_pass_on ON casework_case;
DROP FUNCTION IF EXISTS safecase_pass_on_case_facts();
DROP TRIGGER IF EXISTS referral_case_facts ON referrals_referral;
DROP TRIGGER IF EXISTS deadline_case_facts ON workflows_deadline;
DROP FUNCTION IF EXISTS safecase_copy_case_facts();
"""


def fill(apps, schema_editor):
    with pgtrigger.ignore("referrals.Referral:update_update"):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0025_case_open_owner"),
        ("referrals", "0009_case_facts"),
        ("workflows", "0018_case_facts"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunSQL(TRIGGERS, DROP),
    ]
