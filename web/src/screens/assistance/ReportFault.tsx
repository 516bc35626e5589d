import { Alert, Button, Grid, Group, Modal, Select, Textarea, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { post } from '../../lib/api';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import { SYMPTOMS, type Fault } from './faults';

/**
 * Reports a fault on a line: what the customer says, how to reach them. The first diagnosis is made
 * at once by the server and shown on the fault's page, so the agent can tell the customer.
 */
export function ReportFault({ line, onClose }: { line: string; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({ line, symptom: '', description: '', contactPhone: '', channel: 'phone' });
  const v = form.values;
  const save = useMutation({
    mutationFn: () =>
      post<Fault>('/api/v1/faults', {
        line,
        symptom: v.symptom,
        channel: v.channel,
        ...(v.description?.trim() ? { description: v.description.trim() } : {}),
        ...(v.contactPhone?.trim() ? { contactPhone: v.contactPhone.trim() } : {}),
      }),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: ['faults'] });
      notifications.show({ color: 'green', message: t('fault.reported', { number: f.number }) });
      navigate(`/faults/${f.number}`);
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} size="lg" title={t('fault.report', { line })}>
      <form
        noValidate
        data-testid="fault-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (form.require(['symptom'])) save.mutate();
        }}
      >
        <Grid>
          <Grid.Col span={8}>
            <Select
              label={t('fault.symptom')}
              withAsterisk
              value={v.symptom || null}
              onChange={(x) => form.set('symptom', x)}
              error={form.err('symptom')}
              data={SYMPTOMS.map((s) => ({ value: s, label: t(`fault.symptoms.${s}`) }))}
            />
          </Grid.Col>
          <Grid.Col span={4}>
            <Select
              label={t('fault.channel')}
              value={v.channel || 'phone'}
              allowDeselect={false}
              onChange={(x) => form.set('channel', x)}
              data={['phone', 'counter', 'web', 'field'].map((c) => ({
                value: c,
                label: t(`fault.channels.${c}`),
              }))}
            />
          </Grid.Col>
          <Grid.Col span={12}>
            <Textarea
              label={t('fault.description')}
              autosize
              minRows={2}
              maxRows={6}
              value={v.description}
              onChange={(e) => form.set('description', e.currentTarget.value)}
              error={form.err('description')}
            />
          </Grid.Col>
          <Grid.Col span={6}>
            <TextInput
              label={t('fault.contactPhone')}
              value={v.contactPhone}
              onChange={(e) => form.set('contactPhone', e.currentTarget.value)}
              error={form.err('contactPhone')}
            />
          </Grid.Col>
        </Grid>
        {(form.general || form.err('line')) && (
          <Alert color="red" mt="sm" data-testid="fault-form-error">
            {form.general ?? form.err('line')}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-fault">
            {t('fault.save')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
