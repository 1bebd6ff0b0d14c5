from django.db import migrations


def load(apps, schema_editor):
    from competitions.reference_data import load_reference_data

    load_reference_data(lambda name: apps.get_model("competitions", name))


class Migration(migrations.Migration):
    dependencies = [("competitions", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
