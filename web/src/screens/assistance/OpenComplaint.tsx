import { Alert, Button, Grid, Group, Modal, NumberInput, Select, Textarea, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { post } from '../../lib/api';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import { COMPLAINT_CATEGORIES, type Complaint } from './care';

/**
 * Opens a complaint for a customer (from the 360° view, the line optional) or for a line (from the
 * line view). The investigation goes to the service concerned by its category.
 */
export function OpenComplaint({
  customer,
  line,
  lines = [],
  onClose,
}: {
  customer?: string;
  line?: string;
  /** The customer's lines the complaint may be about. */
  lines?: string[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({
    line: line ?? '',
    category: '',
    subject: '',
    description: '',
    invoiceNumber: '',
    disputedAmount: '',
  });
  const v = form.values;
  const save = useMutation({
    mutationFn: () =>
      post<Complaint>('/api/v1/complaints', {
        ...(customer ? { customer } : {}),
        ...(v.line ? { line: v.line } : {}),
        category: v.category,
        subject: v.subject?.trim(),
        ...(v.description?.trim() ? { description: v.description.trim() } : {}),
        ...(v.invoiceNumber?.trim() ? { invoiceNumber: v.invoiceNumber.trim() } : {}),
        ...(v.disputedAmount ? { disputedAmount: Number(v.disputedAmount) } : {}),
      }),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: ['complaints'] });
      notifications.show({ color: 'green', message: t('complaint.opened', { number: c.number }) });
      navigate(`/complaints/${c.number}`);
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} size="lg" title={t('complaint.openFor', { who: line ?? customer })}>
      <form
        noValidate
        data-testid="complaint-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (form.require(['category', 'subject'])) save.mutate();
        }}
      >
        <Grid>
          <Grid.Col span={6}>
            <Select
              label={t('complaint.category')}
              withAsterisk
              value={v.category || null}
              onChange={(x) => form.set('category', x)}
              error={form.err('category')}
              data={COMPLAINT_CATEGORIES.map((c) => ({ value: c, label: t(`complaint.categories.${c}`) }))}
            />
          </Grid.Col>
          <Grid.Col span={6}>
            {line ? (
              <TextInput label={t('care.line')} value={line} readOnly />
            ) : (
              <Select
                label={t('care.line')}
                clearable
                value={v.line || null}
                onChange={(x) => form.set('line', x)}
                error={form.err('line')}
                data={lines}
              />
            )}
          </Grid.Col>
          <Grid.Col span={12}>
            <TextInput
              label={t('complaint.subject')}
              withAsterisk
              value={v.subject}
              onChange={(e) => form.set('subject', e.currentTarget.value)}
              error={form.err('subject')}
            />
          </Grid.Col>
          <Grid.Col span={12}>
            <Textarea
              label={t('complaint.description')}
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
              label={t('complaint.invoiceNumber')}
              value={v.invoiceNumber}
              onChange={(e) => form.set('invoiceNumber', e.currentTarget.value)}
              error={form.err('invoiceNumber')}
            />
          </Grid.Col>
          <Grid.Col span={6}>
            <NumberInput
              label={t('complaint.disputedAmount')}
              min={1}
              allowDecimal={false}
              thousandSeparator=" "
              value={v.disputedAmount}
              onChange={(n) => form.set('disputedAmount', n === '' ? '' : String(n))}
              error={form.err('disputedAmount')}
            />
          </Grid.Col>
        </Grid>
        {(form.general || form.err('customer')) && (
          <Alert color="red" mt="sm" data-testid="complaint-form-error">
            {form.general ?? form.err('customer')}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-complaint">
            {t('complaint.save')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
