import { Alert, Button, Grid, Group, Modal, Select, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, post } from '../../lib/api';
import { money } from '../../lib/format';
import { unflatten, useApiForm } from '../../lib/form';
import type { Customer360, Product } from '../../lib/types';
import { useRefresh, userName } from './SubscriptionsPanel';

/** Adds a subscription (a line or an option under a line) to one of the customer's payers. */
export function AddSubscription({ view, onClose }: { view: Customer360; onClose: () => void }) {
  const { t } = useTranslation();
  const refresh = useRefresh(view.customer.code);
  const products = useQuery({ queryKey: ['products'], queryFn: () => get<Product[]>('/api/v1/products') });
  const payers = view.payers.filter((p) => p.status === 'active');
  const defaultPayer = payers.find((p) => p.isDefault) ?? payers[0];
  const form = useApiForm({
    productCode: '',
    payerId: defaultPayer ? String(defaultPayer.id) : '',
    userId: '',
    parentId: '',
    directoryNumber: '',
    simIccid: '',
  });
  const product = products.data?.find((p) => p.code === form.values.productCode);
  const isOption = product?.kind === 'option';
  const isMobile = product?.kind === 'mobile_postpaid' || product?.kind === 'mobile_prepaid';
  const lines = view.subscriptions.filter(
    (s) => !s.parentId && s.status !== 'terminated' && s.product?.kind !== 'option',
  );
  const save = useMutation({
    mutationFn: () => {
      const body = unflatten(form.values);
      for (const k of ['payerId', 'userId', 'parentId']) if (body[k] !== undefined) body[k] = Number(body[k]);
      if (!isOption) delete body.parentId;
      if (!isMobile) delete body.simIccid;
      return post('/api/v1/customers/' + view.customer.code + '/subscriptions', body);
    },
    onSuccess: () => {
      refresh();
      notifications.show({ color: 'green', message: t('subscription.added') });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} title={t('subscription.add')} size="lg">
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Grid>
          <Grid.Col span={12}>
            <Select
              label={t('subscription.product')}
              name="productCode"
              searchable
              withAsterisk
              data-testid="product-select"
              value={form.values.productCode || null}
              onChange={(v) => form.set('productCode', v)}
              error={form.err('productCode')}
              data={(products.data ?? [])
                .filter((p) => p.active)
                .map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }))}
            />
            {product?.current && (
              <Text size="xs" c="dimmed" mt={4}>
                {t('catalogue.oneOff')}: {money(product.current.oneOffPrice, product.current.currency)} ·{' '}
                {t('catalogue.recurring')}: {money(product.current.recurringPrice, product.current.currency)}
              </Text>
            )}
          </Grid.Col>
          <Grid.Col span={6}>
            <Select
              label={t('subscription.payer')}
              value={form.values.payerId || null}
              onChange={(v) => form.set('payerId', v)}
              error={form.err('payerId')}
              allowDeselect={false}
              data={payers.map((p) => ({ value: String(p.id), label: `${p.code} — ${p.name}` }))}
            />
          </Grid.Col>
          <Grid.Col span={6}>
            <Select
              label={t('subscription.user')}
              clearable
              value={form.values.userId || null}
              onChange={(v) => form.set('userId', v)}
              error={form.err('userId')}
              data={view.users.map((u) => ({ value: String(u.id), label: userName(u) }))}
            />
          </Grid.Col>
          {isOption && (
            <Grid.Col span={12}>
              <Select
                label={t('subscription.parent')}
                withAsterisk
                value={form.values.parentId || null}
                onChange={(v) => form.set('parentId', v)}
                error={form.err('parentId')}
                data={lines.map((s) => ({
                  value: String(s.id),
                  label: `${s.code} — ${s.product?.name ?? ''} ${s.directoryNumber ?? ''}`,
                }))}
              />
            </Grid.Col>
          )}
          {!isOption && (
            <Grid.Col span={6}>
              <TextInput
                label={t('subscription.directoryNumber')}
                name="directoryNumber"
                description={t('subscription.directoryNumberHint')}
                value={form.values.directoryNumber}
                onChange={(e) => form.set('directoryNumber', e.currentTarget.value)}
                error={form.err('directoryNumber')}
              />
            </Grid.Col>
          )}
          {isMobile && (
            <Grid.Col span={6}>
              <TextInput
                label={t('subscription.simIccid')}
                name="simIccid"
                value={form.values.simIccid}
                onChange={(e) => form.set('simIccid', e.currentTarget.value)}
                error={form.err('simIccid')}
              />
            </Grid.Col>
          )}
        </Grid>
        {form.general && (
          <Alert color="red" mt="sm">
            {form.general}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-subscription">
            {t('common.create')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
