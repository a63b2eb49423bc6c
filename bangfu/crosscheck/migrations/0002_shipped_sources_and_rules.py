from django.db import migrations


def forwards(apps, schema_editor):
    from bangfu.crosscheck.shipped import load

    load(apps.get_model("crosscheck", "DataSource"), apps.get_model("crosscheck", "CheckRule"))


class Migration(migrations.Migration):
    dependencies = [("crosscheck", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
