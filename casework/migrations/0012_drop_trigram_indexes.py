"""The case search reads the search index (0011, ``casework.search_index``), so the
``pg_trgm`` indexes of 0007 serve nothing and only slow every write. They are dropped
where they exist (never on the embedded server, which has no ``pg_trgm``); the extension
itself is left installed, harmless. Reversing rebuilds them where ``pg_trgm`` is there."""

import importlib

from django.db import migrations

trigram = importlib.import_module("casework.migrations.0007_case_search_trigram_indexes")


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0011_case_search_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name=model_name, name=index.name)
                for model_name, index in trigram.TRIGRAM_INDEXES
            ],
            database_operations=[
                migrations.RunPython(
                    trigram.remove_trigram_indexes, trigram.add_trigram_indexes
                ),
            ],
        ),
    ]
