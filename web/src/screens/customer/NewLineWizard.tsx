import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  Paper,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Table,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from '../../components/States';
import { ApiError, get, post, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { money } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Customer360, Product } from '../../lib/types';

const isMobile = (p: Product | undefined) => p?.kind === 'mobile_postpaid' || p?.kind === 'mobile_prepaid';

/** The wizard step that shows each request field, so a refusal opens the step where it can be fixed. */
const STEP_OF_FIELD: Record<string, number> = { productCode: 0, payerId: 0, preferredNumber: 1, shop: 2 };

/**
 * A new line, step by step: the product and payer, the number (chosen among the free ones of the
 * product's pool, or any), for a mobile line the shop whose SIM stock gives the card, then a summary.
 */
export function NewLineWizard({
  view,
  channel,
  onClose,
}: {
  view: Customer360;
  channel: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const can = useCan();
  const qc = useQueryClient();
  const [step, setStep] = useState(0);
  const form = useApiForm({ productCode: '', payerId: '', preferredNumber: '', shop: '' });
  const v = form.values;
  const products = useQuery({ queryKey: ['products'], queryFn: () => get<Product[]>('/api/v1/products') });
  const lines = (products.data ?? []).filter((p) => p.active && p.kind !== 'option');
  const product = lines.find((p) => p.code === v.productCode);
  const mobile = isMobile(product);
  const steps = mobile ? 4 : 3;
  const last = steps - 1;
  const payers = view.payers.filter((p) => p.status === 'active');
  const save = useMutation({
    mutationFn: () =>
      post<{ number: string }>('/api/v1/requests', {
        kind: 'new_line',
        customer: view.customer.code,
        channel,
        productCode: v.productCode,
        ...(v.payerId ? { payerId: Number(v.payerId) } : {}),
        ...(v.preferredNumber ? { preferredNumber: v.preferredNumber } : {}),
        ...(mobile && v.shop ? { shop: v.shop } : {}),
      }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['requests'] });
      void qc.invalidateQueries({ queryKey: ['customer', view.customer.code] });
      notifications.show({ color: 'green', message: t('request.placed', { number: r.number }) });
      navigate(`/requests/${r.number}`);
    },
    onError: (e) => {
      form.fail(e);
      const at = e instanceof ApiError && e.field ? STEP_OF_FIELD[e.field] : undefined;
      if (at !== undefined) setStep(at === 2 && !mobile ? 0 : at);
    },
  });
  const next = () => {
    if (step === 0 && !form.require(['productCode'])) return;
    form.clearErrors();
    setStep((s) => Math.min(last, s + 1));
  };
  const payerName = payers.find((p) => String(p.id) === v.payerId)?.name ?? t('wizard.defaultPayer');
  return (
    <Stack data-testid="new-line-wizard">
      <Stepper
        active={step}
        onStepClick={(s) => s < step && setStep(s)}
        size="sm"
        allowNextStepsSelect={false}
      >
        <Stepper.Step label={t('wizard.product')}>
          <Grid mt="sm">
            <Grid.Col span={7}>
              <Select
                label={t('subscription.product')}
                withAsterisk
                searchable
                value={v.productCode || null}
                onChange={(x) => {
                  form.set('productCode', x);
                  form.set('preferredNumber', '');
                  form.set('shop', '');
                }}
                error={form.err('productCode')}
                data={lines.map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }))}
              />
            </Grid.Col>
            <Grid.Col span={5}>
              <Select
                label={t('subscription.payer')}
                clearable
                placeholder={t('wizard.defaultPayer')}
                value={v.payerId || null}
                onChange={(x) => form.set('payerId', x)}
                error={form.err('payerId')}
                data={payers.map((p) => ({ value: String(p.id), label: `${p.code} — ${p.name}` }))}
              />
            </Grid.Col>
            {product?.current && (
              <Grid.Col span={12}>
                <Text size="sm" c="dimmed">
                  {t('wizard.prices', {
                    oneOff: money(product.current.oneOffPrice, product.current.currency),
                    recurring: money(product.current.recurringPrice, product.current.currency),
                  })}
                </Text>
              </Grid.Col>
            )}
          </Grid>
        </Stepper.Step>
        <Stepper.Step label={t('wizard.number')}>
          {product && can('inventory:read') ? (
            <NumberPicker
              product={product.code}
              value={v.preferredNumber ?? ''}
              onChange={(n) => form.set('preferredNumber', n)}
              error={form.err('preferredNumber')}
            />
          ) : (
            <TextInput
              mt="sm"
              label={t('request.preferredNumber')}
              description={t('request.preferredNumberHint')}
              value={v.preferredNumber}
              onChange={(e) => form.set('preferredNumber', e.currentTarget.value.trim())}
              error={form.err('preferredNumber')}
            />
          )}
        </Stepper.Step>
        {mobile && (
          <Stepper.Step label={t('wizard.sim')}>
            <ShopPicker
              locality={view.customer.address.locality}
              value={v.shop ?? ''}
              onChange={(s) => form.set('shop', s)}
              error={form.err('shop')}
            />
          </Stepper.Step>
        )}
        <Stepper.Step label={t('wizard.summary')}>
          <Table mt="sm" data-testid="wizard-summary">
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={200}>{t('subscription.product')}</Table.Th>
                <Table.Td>{product ? `${product.name} (${product.code})` : '—'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('subscription.payer')}</Table.Th>
                <Table.Td>{payerName}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('wizard.number')}</Table.Th>
                <Table.Td ff={v.preferredNumber ? 'monospace' : undefined}>
                  {v.preferredNumber || t('wizard.anyNumber')}
                </Table.Td>
              </Table.Tr>
              {mobile && (
                <Table.Tr>
                  <Table.Th>{t('wizard.sim')}</Table.Th>
                  <Table.Td>{v.shop || t('wizard.localShop')}</Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
          <Text size="xs" c="dimmed" mt="xs">
            {t('request.studyHint')}
          </Text>
        </Stepper.Step>
      </Stepper>
      {form.general && <Alert color="red">{form.general}</Alert>}
      <Group justify="space-between">
        <Button variant="default" onClick={step === 0 ? onClose : () => setStep(step - 1)}>
          {step === 0 ? t('common.cancel') : t('common.previous')}
        </Button>
        {step < last ? (
          <Button onClick={next} data-testid="wizard-next">
            {t('common.next')}
          </Button>
        ) : (
          <Button onClick={() => save.mutate()} loading={save.isPending} data-testid="place-request">
            {t('request.place')}
          </Button>
        )}
      </Group>
    </Stack>
  );
}

/** The free numbers of the product's pool, filtered by digits; one is chosen, or none (any number). */
function NumberPicker({
  product,
  value,
  onChange,
  error,
}: {
  product: string;
  value: string;
  onChange: (n: string) => void;
  error: string | undefined;
}) {
  const { t } = useTranslation();
  const [contains, setContains] = useState('');
  const [c] = useDebouncedValue(contains.replace(/\D/g, ''), 250);
  const q = useQuery({
    queryKey: ['inv', 'numbers', product, c],
    queryFn: () =>
      get<{ number: string; golden: boolean }[]>(
        `/api/v1/inventory/numbers/available${qs({ product, contains: c, limit: 12 })}`,
      ),
  });
  return (
    <Stack gap="xs" mt="sm" data-testid="number-picker">
      <TextInput
        label={t('wizard.numberContains')}
        placeholder="77…"
        value={contains}
        onChange={(e) => setContains(e.currentTarget.value)}
        w={240}
      />
      <Radio.Group value={value} onChange={onChange} error={error}>
        <Stack gap={6}>
          <Radio value="" label={t('wizard.anyNumber')} />
          {q.isPending ? (
            <Loading />
          ) : (q.data ?? []).length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('wizard.noNumber')}
            </Text>
          ) : (
            <SimpleGrid cols={4} spacing={6}>
              {(q.data ?? []).map((n) => (
                <Radio key={n.number} value={n.number} label={n.number} ff="monospace" />
              ))}
            </SimpleGrid>
          )}
        </Stack>
      </Radio.Group>
    </Stack>
  );
}

/** The shops with SIM cards in stock; by default the study takes a shop of the customer's locality. */
function ShopPicker({
  locality,
  value,
  onChange,
  error,
}: {
  locality: string;
  value: string;
  onChange: (s: string) => void;
  error: string | undefined;
}) {
  const { t } = useTranslation();
  const shops = useQuery({
    queryKey: ['inv', 'shops'],
    queryFn: () => get<{ code: string; name: string; locality: string }[]>('/api/v1/inventory/shops'),
  });
  const stock = useQuery({
    queryKey: ['inv', 'sims', 'stock'],
    queryFn: () =>
      get<{ shop: string | null; status: string; count: number }[]>('/api/v1/inventory/sims/stock'),
  });
  const inShop = (code: string) =>
    (stock.data ?? [])
      .filter((r) => r.shop === code && r.status === 'allocated')
      .reduce((n, r) => n + r.count, 0);
  if (shops.isPending) return <Loading />;
  const card = (code: string, title: string, sub: string, count: number | null) => (
    <UnstyledButton key={code} onClick={() => onChange(code)} data-testid={`shop-${code || 'default'}`}>
      <Paper
        withBorder
        p="sm"
        bg={value === code ? 'indigo.0' : undefined}
        style={{ borderWidth: value === code ? 2 : 1 }}
      >
        <Group justify="space-between" wrap="nowrap">
          <div>
            <Text size="sm" fw={600}>
              {title}
            </Text>
            <Text size="xs" c="dimmed">
              {sub}
            </Text>
          </div>
          {count !== null && (
            <Badge color={count > 0 ? 'green' : 'red'} variant="light">
              {t('wizard.simsInStock', { count })}
            </Badge>
          )}
        </Group>
      </Paper>
    </UnstyledButton>
  );
  return (
    <Stack gap="xs" mt="sm" data-testid="shop-picker">
      <SimpleGrid cols={2} spacing="xs">
        {card('', t('wizard.localShop'), t('wizard.localShopHint', { locality }), null)}
        {(shops.data ?? []).map((s) => card(s.code, s.name, `${s.code} · ${s.locality}`, inShop(s.code)))}
      </SimpleGrid>
      {error && (
        <Text size="sm" c="red">
          {error}
        </Text>
      )}
    </Stack>
  );
}
