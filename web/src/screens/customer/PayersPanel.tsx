import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  Modal,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { StatusBadge } from '../../components/StatusBadge';
import { patch, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { address } from '../../lib/format';
import { unflatten, useApiForm, type Values } from '../../lib/form';
import type { Customer360, Payer } from '../../lib/types';
import { SubscriptionsTable, useRefresh } from './SubscriptionsPanel';

const METHODS = ['cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque'];
const ADDRESS = ['number', 'street', 'district', 'locality', 'postalCode'] as const;

function valuesOf(p: Payer | null): Values {
  const v: Values = {
    name: p?.name ?? '',
    paymentMethod: p?.paymentMethod ?? 'cash',
    bankAccount: p?.bankAccount ?? '',
    mobileMoneyNumber: p?.mobileMoneyNumber ?? '',
    isDefault: p?.isDefault ? 'true' : '',
    status: p?.status ?? 'active',
  };
  for (const k of ADDRESS) v[`billingAddress.${k}`] = p?.billingAddress[k] ?? '';
  return v;
}

function bodyOf(v: Values, editing: boolean): Record<string, unknown> {
  const body = unflatten(v);
  body.isDefault = v.isDefault === 'true';
  if (!editing) delete body.status;
  if (editing) {
    // Cleared optional fields are removed on the server too.
    for (const k of ['bankAccount', 'mobileMoneyNumber']) if (body[k] === undefined) body[k] = null;
  }
  return body;
}

function PayerModal({
  view,
  payer,
  onClose,
}: {
  view: Customer360;
  payer: Payer | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const refresh = useRefresh(view.customer.code);
  const form = useApiForm(valuesOf(payer));
  const save = useMutation({
    mutationFn: () =>
      payer
        ? patch(`/api/v1/payers/${payer.id}`, bodyOf(form.values, true))
        : post(`/api/v1/customers/${view.customer.code}/payers`, bodyOf(form.values, false)),
    onSuccess: () => {
      refresh();
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  const text = (k: string, span: number) => (
    <Grid.Col span={span}>
      <TextInput
        label={t(`payer.fields.${k}`)}
        name={k}
        value={form.values[k] ?? ''}
        onChange={(e) => form.set(k, e.currentTarget.value)}
        error={form.err(k)}
      />
    </Grid.Col>
  );
  return (
    <Modal
      opened
      onClose={onClose}
      size="lg"
      title={payer ? `${t('payer.edit')} ${payer.code}` : t('payer.add')}
    >
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Grid>
          {text('name', 8)}
          <Grid.Col span={4}>
            <Select
              label={t('payer.fields.paymentMethod')}
              value={form.values.paymentMethod || null}
              onChange={(v) => form.set('paymentMethod', v)}
              error={form.err('paymentMethod')}
              allowDeselect={false}
              data={METHODS.map((m) => ({ value: m, label: t(`payer.methods.${m}`) }))}
            />
          </Grid.Col>
          {text('bankAccount', 6)}
          {text('mobileMoneyNumber', 6)}
          {text('billingAddress.number', 3)}
          {text('billingAddress.street', 9)}
          {text('billingAddress.district', 4)}
          {text('billingAddress.locality', 5)}
          {text('billingAddress.postalCode', 3)}
          <Grid.Col span={6}>
            <Checkbox
              label={t('payer.fields.isDefault')}
              checked={form.values.isDefault === 'true'}
              onChange={(e) => form.set('isDefault', e.currentTarget.checked ? 'true' : '')}
            />
          </Grid.Col>
          {payer && (
            <Grid.Col span={6}>
              <Select
                label={t('payer.fields.status')}
                value={form.values.status || null}
                onChange={(v) => form.set('status', v)}
                error={form.err('status')}
                allowDeselect={false}
                data={['active', 'closed'].map((s) => ({ value: s, label: t(`status.${s}`) }))}
              />
            </Grid.Col>
          )}
        </Grid>
        <Text size="xs" c="dimmed" mt="xs">
          {t('payer.addressHint')}
        </Text>
        {form.general && (
          <Alert color="red" mt="sm">
            {form.general}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}

/** Each payer with its billing details and the subscriptions it pays for. */
export function PayersPanel({ view }: { view: Customer360 }) {
  const { t } = useTranslation();
  const can = useCan();
  const [editing, setEditing] = useState<Payer | 'new' | null>(null);
  return (
    <Stack gap="sm">
      {can('customer:write') && (
        <Group justify="flex-end">
          <Button size="xs" onClick={() => setEditing('new')}>
            {t('payer.add')}
          </Button>
        </Group>
      )}
      {view.payers.map((p) => (
        <Paper withBorder p="sm" key={p.id}>
          <Group justify="space-between" mb="xs">
            <Group gap="xs">
              <Title order={6}>{p.name}</Title>
              <Text ff="monospace" size="sm" c="dimmed">
                {p.code}
              </Text>
              {p.isDefault && <Badge size="sm">{t('payer.default')}</Badge>}
              <StatusBadge status={p.status} />
            </Group>
            {can('customer:write') && (
              <Button size="compact-xs" variant="default" onClick={() => setEditing(p)}>
                {t('common.edit')}
              </Button>
            )}
          </Group>
          <Text size="xs" c="dimmed" mb="xs">
            {t(`payer.methods.${p.paymentMethod}`)}
            {p.bankAccount ? ` · ${p.bankAccount}` : ''}
            {p.mobileMoneyNumber ? ` · ${p.mobileMoneyNumber}` : ''} · {address(p.billingAddress)}
          </Text>
          <SubscriptionsTable
            view={view}
            subscriptions={view.subscriptions.filter((s) => s.payerId === p.id)}
          />
        </Paper>
      ))}
      {editing && (
        <PayerModal view={view} payer={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </Stack>
  );
}
