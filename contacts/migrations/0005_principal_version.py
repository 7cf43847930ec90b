from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0004_activationmessage_address'),
    ]

    operations = [
        migrations.AddField(
            model_name='principal',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name='version'),
        ),
    ]
