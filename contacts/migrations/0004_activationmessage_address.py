import django.db.models.deletion
from django.db import migrations, models


def record_addresses(apps, schema_editor):
    """Messages sent before this migration went to their method's current address (a changed
    value deleted nothing, a cleared one deleted the method and its messages)."""
    ActivationMessage = apps.get_model("contacts", "ActivationMessage")
    for message in ActivationMessage.objects.select_related("method__principal").iterator():
        method = message.method
        principal = method.principal
        raw = principal.phone if method.channel == "phone" else principal.email
        message.principal_id = principal.pk
        message.channel = method.channel
        message.address = str(raw or "")
        message.save(update_fields=["principal", "channel", "address"])


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0003_contactmethod_send_error'),
    ]

    operations = [
        migrations.AddField(
            model_name='activationmessage',
            name='address',
            field=models.CharField(blank=True, db_index=True, max_length=254, verbose_name='address'),
        ),
        migrations.AddField(
            model_name='activationmessage',
            name='channel',
            field=models.CharField(blank=True, choices=[('phone', 'Mobile phone number'), ('email', 'Email address')], max_length=10, verbose_name='channel'),
        ),
        migrations.AddField(
            model_name='activationmessage',
            name='principal',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='activation_messages', to='contacts.principal', verbose_name='principal'),
        ),
        migrations.AlterField(
            model_name='activationmessage',
            name='method',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='activation_messages', to='contacts.contactmethod', verbose_name='contact method'),
        ),
        migrations.RunPython(record_addresses, migrations.RunPython.noop),
    ]
