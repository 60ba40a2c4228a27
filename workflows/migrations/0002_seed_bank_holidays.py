import holidays
from django.db import migrations

FIRST_YEAR, LAST_YEAR = 2015, 2035


def seed(apps, schema_editor):
    """England and Wales bank holidays 2015-2035 from the 'holidays' package (RULES.md §0.2).

    Administrators edit the table afterwards; `manage.py load_bank_holidays` adds years.
    """
    bank_holiday = apps.get_model("workflows", "BankHoliday")
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    known = set(bank_holiday.objects.values_list("date", flat=True))
    bank_holiday.objects.bulk_create(
        bank_holiday(date=day, title=title, source="holidays")
        for day, title in sorted(days.items())
        if day not in known
    )


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
