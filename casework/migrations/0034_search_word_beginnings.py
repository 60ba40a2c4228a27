"""The search index's word beginnings: ``#x:`` lexemes added to every entry.

Each entry now holds every beginning of the words of its people's names and of the first
lines of their and its premises' addresses (``#x:s`` ... ``#x:smith``), and a word typed
is looked up by its beginning lexeme instead of a prefix match (``'smith':*``), which
GIN answered without skipping through the posting lists (``casework/search_index.py``,
docs/performance.md).

Forward, the lexemes are computed from the names and addresses as they are now (read
through this migration's models) by the function the services use, and added to each
entry in SQL, a batch of cases at a time, in a copy of the table loaded back into it
(``_rewritten``); the GIN index is dropped first and built again after, as in migration
0030. Backward, they are taken out again the same way. ``manage.py
search_index_rebuild`` writes the same documents from the database.
"""

import json

from django.db import migrations

INDEX = "case_search_document"
DROP = f"DROP INDEX {INDEX}"
# As the model declares it (migration 0029: no pending list).
CREATE = (
    f"CREATE INDEX {INDEX} ON casework_casesearchentry USING gin (document) WITH (fastupdate = off)"
)
BATCH = 5_000

ADD = """
UPDATE search_entry_rewrite AS entry
SET document = entry.document || array_to_tsvector(ARRAY(
    SELECT jsonb_array_elements_text(added.item->1)
))
FROM jsonb_array_elements(%s::jsonb) AS added(item)
WHERE entry.case_id = (added.item->>0)::bigint
"""

REMOVE = """
UPDATE search_entry_rewrite AS entry
SET document = array_to_tsvector(ARRAY(
    SELECT lexeme FROM unnest(tsvector_to_array(entry.document)) AS lexeme
    WHERE left(lexeme, 3) <> '#x:'
))
"""

PERSON_FIELDS = ("given_names", "family_name", "aliases", "address")


def _rewritten(connection, rewrite) -> None:
    """The entries rewritten in a copy and loaded back into the emptied table, the GIN
    index dropped before and built after. Updated in place, every entry left a dead
    version behind: at 500,000 entries the table grew from 206 to 561 MB and the index
    built after it in the same transaction was 283 MB, not the 230 of the same entries
    written afresh, and a name search's SQL was slower than before the change until a
    ``VACUUM FULL`` (docs/performance.md). ``TRUNCATE`` gives the table new files, so
    nothing dead is left in it or in its indexes."""
    with connection.cursor() as cursor:
        cursor.execute(DROP)
        cursor.execute(
            "CREATE TEMPORARY TABLE search_entry_rewrite ON COMMIT DROP"
            " AS SELECT * FROM casework_casesearchentry"
        )
        cursor.execute("CREATE INDEX ON search_entry_rewrite (case_id)")
        rewrite(cursor)
        cursor.execute("TRUNCATE casework_casesearchentry")
        cursor.execute("INSERT INTO casework_casesearchentry SELECT * FROM search_entry_rewrite")
        # The rows' deferred foreign-key checks must run before an index is built.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(CREATE)
        cursor.execute("DROP TABLE search_entry_rewrite")


def forward(apps, schema_editor):
    from casework.search_index import beginnings

    case_model = apps.get_model("casework", "Case")
    link_model = apps.get_model("casework", "CasePerson")
    entries = apps.get_model("casework", "CaseSearchEntry").objects.order_by("case_id")

    def add(cursor) -> None:
        start = 0
        while True:
            ids = list(entries.filter(case_id__gt=start).values_list("case_id", flat=True)[:BATCH])
            if not ids:
                return
            start = ids[-1]
            people: dict[int, list[dict]] = {}
            links = link_model.objects.filter(case_id__in=ids).values(
                "case_id", *(f"person__{f}" for f in PERSON_FIELDS)
            )
            for row in links:
                person = {f: row[f"person__{f}"] for f in PERSON_FIELDS}
                people.setdefault(row["case_id"], []).append(person)
            premises = case_model.objects.filter(pk__in=ids).values_list("pk", "premises__address")
            rows = [
                [pk, sorted(beginnings(address or "", people.get(pk, [])))]
                for pk, address in premises
            ]
            cursor.execute(ADD, [json.dumps(rows)])

    _rewritten(schema_editor.connection, add)


def backward(apps, schema_editor):
    _rewritten(schema_editor.connection, lambda cursor: cursor.execute(REMOVE))


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0033_possible_match_telling"),
    ]

    operations = [migrations.RunPython(forward, backward)]
