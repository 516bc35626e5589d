import { Alert, Button, Grid, Group, Modal, Select, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, post } from '../../lib/api';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Customer360, Product } from '../../lib/types';
import { NewLineWizard } from './NewLineWizard';

const KINDS = [
  'new_line',
  'add_option',
  'remove_option',
  'access_change',
  'sim_replacement',
  'transfer_ownership',
  'relocation',
  'suspension',
  'restoration',
  'termination',
] as const;

/**
 * The temporary access changes the default scenario applies (server: requests/network.ts
 * `accessChangesFor`): a fixed line's are barring classes (no data to cut); a mobile line takes
 * them all, the HLR those of its voice/data access, switching the others by hand.
 */
const ACCESS_CHANGES = [
  'bar_international',
  'bar_national',
  'bar_outgoing',
  'bar_all',
  'allow_international',
  'bar_data',
  'allow_all',
] as const;
const FIXED_ONLY_NOT: readonly string[] = ['bar_data'];
const HLR_APPLIES: readonly string[] = ['bar_all', 'bar_data', 'allow_all'];

/** Places a service request for the customer: the form asks only what the chosen kind needs. */
export function NewRequest({ view, onClose }: { view: Customer360; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const products = useQuery({ queryKey: ['products'], queryFn: () => get<Product[]>('/api/v1/products') });
  const form = useApiForm({
    kind: 'new_line',
    productCode: '',
    subscriptionId: '',
    newCustomer: '',
    'accessChange.change': '',
    'accessChange.until': '',
    channel: 'counter',
  });
  const v = form.values;
  const kind = v.kind ?? 'new_line';
  const lines = view.subscriptions.filter((s) => s.status !== 'terminated');
  const needsProduct = kind === 'new_line' || kind === 'add_option';
  const needsLine = kind !== 'new_line';
  const chosenLine = lines.find((s) => String(s.id) === v.subscriptionId);
  const lineKind = chosenLine?.product?.kind.startsWith('mobile') ? 'mobile' : 'fixed';
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = { kind, customer: view.customer.code, channel: v.channel };
      if (needsProduct && v.productCode) body.productCode = v.productCode;
      if (needsLine && v.subscriptionId) body.subscriptionId = Number(v.subscriptionId);
      if (kind === 'transfer_ownership' && v.newCustomer?.trim()) body.newCustomer = v.newCustomer.trim();
      if (kind === 'access_change')
        body.accessChange = {
          change: v['accessChange.change'] ?? '',
          until: v['accessChange.until'] ? new Date(v['accessChange.until']).toISOString() : '',
        };
      return post<{ number: string }>('/api/v1/requests', body);
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['requests'] });
      void qc.invalidateQueries({ queryKey: ['customer', view.customer.code] });
      notifications.show({ color: 'green', message: t('request.placed', { number: r.number }) });
      navigate(`/requests/${r.number}`);
    },
    onError: form.fail,
  });
  const options = (products.data ?? []).filter(
    (p) => p.active && (kind === 'add_option' ? p.kind === 'option' : p.kind !== 'option'),
  );
  const kindAndChannel = (
    <>
      <Grid.Col span={8}>
        <Select
          label={t('request.kind')}
          value={kind}
          onChange={(x) => form.set('kind', x)}
          error={form.err('kind')}
          allowDeselect={false}
          data={KINDS.map((k) => ({ value: k, label: t(`request.kinds.${k}`) }))}
        />
      </Grid.Col>
      <Grid.Col span={4}>
        <Select
          label={t('request.channel')}
          value={v.channel ?? 'counter'}
          onChange={(x) => form.set('channel', x)}
          allowDeselect={false}
          data={['counter', 'phone', 'web'].map((c) => ({ value: c, label: t(`request.channels.${c}`) }))}
        />
      </Grid.Col>
    </>
  );
  // A new line is a wizard (product, number, SIM, summary); the other kinds fit in one form.
  if (kind === 'new_line')
    return (
      <Modal opened onClose={onClose} size="xl" title={t('request.new')}>
        <Grid mb="sm">{kindAndChannel}</Grid>
        <NewLineWizard view={view} channel={v.channel ?? 'counter'} onClose={onClose} />
      </Modal>
    );
  return (
    <Modal opened onClose={onClose} size="lg" title={t('request.new')}>
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Grid>
          {kindAndChannel}
          {needsProduct && (
            <Grid.Col span={12}>
              <Select
                label={t('subscription.product')}
                withAsterisk
                searchable
                value={v.productCode || null}
                onChange={(x) => form.set('productCode', x)}
                error={form.err('productCode')}
                data={options.map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }))}
              />
            </Grid.Col>
          )}
          {needsLine && (
            <Grid.Col span={12}>
              <Select
                label={t('request.line')}
                withAsterisk
                value={v.subscriptionId || null}
                onChange={(x) => form.set('subscriptionId', x)}
                error={form.err('subscriptionId')}
                data={lines.map((s) => ({
                  value: String(s.id),
                  label: `${s.code} — ${s.product?.name ?? ''} ${s.directoryNumber ?? ''}`,
                }))}
              />
            </Grid.Col>
          )}
          {kind === 'transfer_ownership' && (
            <Grid.Col span={6}>
              <TextInput
                label={t('request.newCustomer')}
                value={v.newCustomer}
                onChange={(e) => form.set('newCustomer', e.currentTarget.value)}
                error={form.err('newCustomer')}
              />
            </Grid.Col>
          )}
          {kind === 'access_change' && (
            <>
              <Grid.Col span={6}>
                <Select
                  label={t('request.change')}
                  withAsterisk
                  value={v['accessChange.change'] || null}
                  onChange={(x) => form.set('accessChange.change', x)}
                  error={form.err('accessChange.change')}
                  data={ACCESS_CHANGES.filter(
                    (c) => lineKind === 'mobile' || !FIXED_ONLY_NOT.includes(c),
                  ).map((c) => ({
                    value: c,
                    label:
                      lineKind === 'mobile' && !HLR_APPLIES.includes(c)
                        ? `${t(`request.changes.${c}`)} — ${t('request.bySwitching')}`
                        : t(`request.changes.${c}`),
                  }))}
                />
              </Grid.Col>
              <Grid.Col span={6}>
                <TextInput
                  type="datetime-local"
                  label={t('request.until')}
                  value={v['accessChange.until']}
                  onChange={(e) => form.set('accessChange.until', e.currentTarget.value)}
                  error={form.err('accessChange.until')}
                />
              </Grid.Col>
            </>
          )}
        </Grid>
        <Text size="xs" c="dimmed" mt="xs">
          {t('request.studyHint')}
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
          <Button type="submit" loading={save.isPending} data-testid="place-request">
            {t('request.place')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
