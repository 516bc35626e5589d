import {
  Alert,
  Badge,
  Button,
  Drawer,
  Grid,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { get, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime, fromMinor, money, toMinor } from '../../lib/format';
import { useApiForm, type ApiForm } from '../../lib/form';
import { PRODUCT_KINDS, type Product } from '../../lib/types';

const PRICE_KEYS = [
  'price.oneOffPrice',
  'price.recurringPrice',
  'price.usageUnitPrice',
  'price.deposits.*',
] as const;

function priceBody(v: Record<string, string>): Record<string, unknown> {
  const n = (k: string) => toMinor(Number(v[k] || 0));
  const price: Record<string, unknown> = {
    oneOffPrice: n('price.oneOffPrice'),
    recurringPrice: n('price.recurringPrice'),
    usageUnitPrice: n('price.usageUnitPrice'),
  };
  if (v['price.deposits.*']) price.deposits = { '*': n('price.deposits.*') };
  if (v['price.validFrom']) price.validFrom = new Date(v['price.validFrom']).toISOString();
  return price;
}

function PriceFields({ form, withDate }: { form: ApiForm; withDate: boolean }) {
  const { t } = useTranslation();
  return (
    <Grid>
      {PRICE_KEYS.map((k) => (
        <Grid.Col span={6} key={k}>
          <NumberInput
            label={t(`catalogue.fields.${k.replace('price.', '').replace('.*', '')}`)}
            min={0}
            thousandSeparator=" "
            value={form.values[k] ?? ''}
            onChange={(n) => form.set(k, String(n))}
            error={form.err(k)}
          />
        </Grid.Col>
      ))}
      {withDate && (
        <Grid.Col span={6}>
          <TextInput
            type="datetime-local"
            label={t('catalogue.fields.validFrom')}
            value={form.values['price.validFrom'] ?? ''}
            onChange={(e) => form.set('price.validFrom', e.currentTarget.value)}
            error={form.err('price.validFrom')}
          />
        </Grid.Col>
      )}
    </Grid>
  );
}

function ProductModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({
    code: '',
    name: '',
    kind: 'fixed_wired',
    appliesTo: '',
    ...Object.fromEntries(PRICE_KEYS.map((k) => [k, ''])),
  });
  const save = useMutation({
    mutationFn: () =>
      post('/api/v1/products', {
        code: form.values.code?.trim(),
        name: form.values.name?.trim(),
        kind: form.values.kind,
        ...(form.values.kind === 'option'
          ? { appliesTo: (form.values.appliesTo ?? '').split(',').filter(Boolean) }
          : {}),
        price: priceBody(form.values),
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['products'] });
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} size="lg" title={t('catalogue.add')}>
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Stack>
          <Grid>
            <Grid.Col span={4}>
              <TextInput
                label={t('catalogue.code')}
                value={form.values.code}
                onChange={(e) => form.set('code', e.currentTarget.value)}
                error={form.err('code')}
              />
            </Grid.Col>
            <Grid.Col span={8}>
              <TextInput
                label={t('catalogue.name')}
                value={form.values.name}
                onChange={(e) => form.set('name', e.currentTarget.value)}
                error={form.err('name')}
              />
            </Grid.Col>
            <Grid.Col span={6}>
              <Select
                label={t('catalogue.kind')}
                allowDeselect={false}
                value={form.values.kind ?? null}
                onChange={(v) => form.set('kind', v)}
                error={form.err('kind')}
                data={PRODUCT_KINDS.map((k) => ({ value: k, label: t(`productKinds.${k}`) }))}
              />
            </Grid.Col>
            {form.values.kind === 'option' && (
              <Grid.Col span={6}>
                <MultiSelect
                  label={t('catalogue.appliesTo')}
                  value={(form.values.appliesTo ?? '').split(',').filter(Boolean)}
                  onChange={(v) => form.set('appliesTo', v.join(','))}
                  error={form.err('appliesTo')}
                  data={PRODUCT_KINDS.filter((k) => k !== 'option').map((k) => ({
                    value: k,
                    label: t(`productKinds.${k}`),
                  }))}
                />
              </Grid.Col>
            )}
          </Grid>
          <PriceFields form={form} withDate={false} />
          {form.general && <Alert color="red">{form.general}</Alert>}
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending}>
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function ProductDrawer({ code, onClose }: { code: string; onClose: () => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const qc = useQueryClient();
  const product = useQuery({
    queryKey: ['products', code],
    queryFn: () => get<Product>(`/api/v1/products/${encodeURIComponent(code)}`),
  });
  const current = product.data?.current;
  const form = useApiForm({
    ...Object.fromEntries(PRICE_KEYS.map((k) => [k, ''])),
    'price.validFrom': '',
  });
  const [adding, setAdding] = useState(false);
  const save = useMutation({
    mutationFn: () => post(`/api/v1/products/${encodeURIComponent(code)}/versions`, priceBody(form.values)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['products'] });
      setAdding(false);
      notifications.show({ color: 'green', message: t('common.saved') });
    },
    onError: (e) => form.fail(e),
  });
  const startAdding = () => {
    if (current)
      form.reset({
        'price.oneOffPrice': String(fromMinor(current.oneOffPrice, current.currency)),
        'price.recurringPrice': String(fromMinor(current.recurringPrice, current.currency)),
        'price.usageUnitPrice': String(fromMinor(current.usageUnitPrice, current.currency)),
        'price.deposits.*':
          current.deposits['*'] !== undefined
            ? String(fromMinor(current.deposits['*'], current.currency))
            : '',
        'price.validFrom': '',
      });
    setAdding(true);
  };
  return (
    <Drawer opened onClose={onClose} position="right" size="xl" title={code}>
      <QueryState query={product}>
        {(p) => (
          <Stack>
            <Text fw={600}>{p.name}</Text>
            <Text size="sm" c="dimmed">
              {t(`productKinds.${p.kind}`)}
              {p.appliesTo.length > 0 && ` → ${p.appliesTo.map((k) => t(`productKinds.${k}`)).join(', ')}`}
            </Text>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>v</Table.Th>
                  <Table.Th>{t('catalogue.fields.validFrom')}</Table.Th>
                  <Table.Th>{t('catalogue.oneOff')}</Table.Th>
                  <Table.Th>{t('catalogue.recurring')}</Table.Th>
                  <Table.Th>{t('catalogue.fields.usageUnitPrice')}</Table.Th>
                  <Table.Th>{t('catalogue.fields.deposits')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(p.versions ?? []).map((v) => (
                  <Table.Tr key={v.id} fw={v.id === p.current?.id ? 700 : undefined}>
                    <Table.Td>{v.version}</Table.Td>
                    <Table.Td>{dateTime(v.validFrom)}</Table.Td>
                    <Table.Td>{money(v.oneOffPrice, v.currency)}</Table.Td>
                    <Table.Td>{money(v.recurringPrice, v.currency)}</Table.Td>
                    <Table.Td>{money(v.usageUnitPrice, v.currency)}</Table.Td>
                    <Table.Td>
                      {Object.entries(v.deposits)
                        .map(([k, d]) => `${k}: ${money(d, v.currency)}`)
                        .join(', ') || '—'}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {can('catalogue:write') && !adding && (
              <Button variant="default" onClick={startAdding}>
                {t('catalogue.addVersion')}
              </Button>
            )}
            {adding && (
              <Paper withBorder p="sm">
                <PriceFields form={form} withDate />
                {form.general && (
                  <Alert color="red" mt="sm">
                    {form.general}
                  </Alert>
                )}
                <Group justify="flex-end" mt="sm">
                  <Button variant="default" onClick={() => setAdding(false)}>
                    {t('common.cancel')}
                  </Button>
                  <Button onClick={() => save.mutate()} loading={save.isPending}>
                    {t('common.save')}
                  </Button>
                </Group>
              </Paper>
            )}
          </Stack>
        )}
      </QueryState>
    </Drawer>
  );
}

/** Products and their price versions. */
export function Catalogue() {
  const { t } = useTranslation();
  const can = useCan();
  const [open, setOpen] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const list = useQuery({ queryKey: ['products'], queryFn: () => get<Product[]>('/api/v1/products') });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('nav.catalogue')}</Title>
        {can('catalogue:write') && <Button onClick={() => setAdding(true)}>{t('catalogue.add')}</Button>}
      </Group>
      <QueryState query={list}>
        {(products) =>
          products.length === 0 ? (
            <Empty />
          ) : (
            <Paper withBorder>
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('catalogue.code')}</Table.Th>
                    <Table.Th>{t('catalogue.name')}</Table.Th>
                    <Table.Th>{t('catalogue.kind')}</Table.Th>
                    <Table.Th>{t('catalogue.oneOff')}</Table.Th>
                    <Table.Th>{t('catalogue.recurring')}</Table.Th>
                    <Table.Th>{t('catalogue.version')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {products.map((p) => (
                    <Table.Tr key={p.id} onClick={() => setOpen(p.code)} style={{ cursor: 'pointer' }}>
                      <Table.Td ff="monospace">{p.code}</Table.Td>
                      <Table.Td>{p.name}</Table.Td>
                      <Table.Td>{t(`productKinds.${p.kind}`)}</Table.Td>
                      <Table.Td>{money(p.current?.oneOffPrice, p.current?.currency)}</Table.Td>
                      <Table.Td>{money(p.current?.recurringPrice, p.current?.currency)}</Table.Td>
                      <Table.Td>{p.current?.version ?? '—'}</Table.Td>
                      <Table.Td>
                        {!p.active && <Badge color="gray">{t('catalogue.withdrawn')}</Badge>}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      {open && <ProductDrawer code={open} onClose={() => setOpen(null)} />}
      {adding && <ProductModal onClose={() => setAdding(false)} />}
    </>
  );
}
