from django.db import migrations


def load(apps, schema_editor):
    from bangfu.registry.code_lists import load_code_lists

    load_code_lists(apps.get_model("registry", "CodeItem"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
