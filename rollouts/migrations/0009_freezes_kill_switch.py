# Freeze windows and the kill switch (issue 13). Written for this feature alone: a parallel
# 0009 of another feature also depends on 0008_lifecycle and is merged by the lead.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rollouts', '0008_lifecycle'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='rollout',
            name='freeze_override_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='rollout',
            name='freeze_override_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='rollout',
            name='freeze_override_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='event',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('scheduled', 'Scheduled'), ('started', 'Started'), ('stage_approved', 'Stage approved'), ('stage_started', 'Stage started'), ('stage_deployed', 'Deploy call accepted'), ('stage_threshold_met', 'Success threshold met'), ('stage_succeeded', 'Stage succeeded'), ('stage_failed', 'Stage failed'), ('stage_skipped', 'Stage skipped'), ('retry_requested', 'Retry of failed devices'), ('sweep', 'Sweep of devices now online'), ('api_error', 'API error'), ('paused', 'Paused'), ('resumed', 'Resumed'), ('aborted', 'Aborted'), ('failed', 'Failed'), ('completed', 'Completed'), ('deploy_recovered', 'Deploy confirmed by read-back'), ('engine_error', 'Engine error'), ('deploy_unknown', 'Deploy outcome unknown'), ('deploy_confirmed', 'Deploy confirmed by a person'), ('deploy_resend', 'Deploy to be sent again'), ('shortfall_accepted', 'Shortfall accepted'), ('stage_edited', 'Stage edited'), ('stage_reset', 'Stage not started'), ('devices_skipped', 'Malformed device rows skipped'), ('stage_repaired', 'Stage repaired'), ('freeze_overridden', 'Freeze overridden')], max_length=24),
        ),
        migrations.AlterField(
            model_name='rollout',
            name='pause_cause',
            field=models.CharField(blank=True, choices=[('person', 'Paused by a person'), ('failure_threshold', 'Failure threshold reached'), ('deadline', 'Stage deadline passed below the success threshold'), ('deploy_unknown', 'Deploy outcome unknown'), ('token_rejected', 'Upswift rejected the API token'), ('rejected', 'Upswift rejected a call'), ('api_unavailable', 'Upswift API unavailable'), ('kill_switch', 'Paused by the kill switch')], max_length=20),
        ),
        migrations.CreateModel(
            name='FreezeWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120)),
                ('project', models.CharField(blank=True, help_text='Empty: every project.', max_length=120, verbose_name='Upswift project')),
                ('recurrence', models.CharField(choices=[('once', 'One-off'), ('weekly', 'Weekly')], max_length=8)),
                ('starts_at', models.DateTimeField(blank=True, null=True)),
                ('ends_at', models.DateTimeField(blank=True, null=True)),
                ('weekdays', models.JSONField(blank=True, default=list)),
                ('start_time', models.TimeField(blank=True, null=True)),
                ('end_time', models.TimeField(blank=True, null=True)),
                ('timezone', models.CharField(help_text='An IANA name, e.g. Europe/Berlin.', max_length=64)),
                ('reason', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['recurrence', 'ends_at'], name='freeze_recurrence_ends_idx')],
            },
        ),
        migrations.CreateModel(
            name='KillSwitchUse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField()),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('engaged', models.BooleanField(default=True)),
                ('paused', models.JSONField(blank=True, default=list)),
                ('resumed_at', models.DateTimeField(blank=True, null=True)),
                ('resume_reason', models.TextField(blank=True)),
                ('resumed', models.JSONField(blank=True, default=list)),
                ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('resumed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('engaged', True)), fields=('engaged',), name='kill_switch_one_engaged')],
            },
        ),
    ]
