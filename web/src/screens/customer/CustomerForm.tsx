import {
  Alert,
  Button,
  Grid,
  Group,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { get, patch, post } from '../../lib/api';
import { unflatten, useApiForm, type Values } from '../../lib/form';
import { navigate } from '../../lib/router';
import { CATEGORY_KINDS, type Category, type Customer, type Customer360 } from '../../lib/types';

const PERSON = [
  'title',
  'lastName',
  'firstNames',
  'nickname',
  'birthDate',
  'idDocument.type',
  'idDocument.number',
];
const ORGANISATION = ['companyName', 'tradeName', 'registrationNumber'];
const COMMON = [
  'phones',
  'email',
  'preferredLanguage',
  'address.number',
  'address.street',
  'address.district',
  'address.locality',
  'address.postalCode',
  ...CATEGORY_KINDS.map((k) => `categories.${k}`),
];

const EMPTY: Values = Object.fromEntries(
  ['kind', 'status', ...PERSON, ...ORGANISATION, ...COMMON].map((k) => [k, '']),
);

function requiredOf(v: Values): string[] {
  return [
    ...(v.kind === 'organisation' ? ['companyName'] : ['lastName', 'firstNames']),
    'address.street',
    'address.locality',
    ...CATEGORY_KINDS.map((k) => `categories.${k}`),
  ];
}

function valuesOf(c: Customer): Values {
  const v: Values = { ...EMPTY, kind: c.kind, status: c.status };
  for (const k of [
    'title',
    'lastName',
    'firstNames',
    'nickname',
    'birthDate',
    'companyName',
    'tradeName',
    'registrationNumber',
    'email',
    'preferredLanguage',
  ] as const)
    v[k] = c[k] ?? '';
  v['idDocument.type'] = c.idDocument?.type ?? '';
  v['idDocument.number'] = c.idDocument?.number ?? '';
  v.phones = c.phones.join(', ');
  for (const k of ['number', 'street', 'district', 'locality', 'postalCode'] as const)
    v[`address.${k}`] = c.address[k] ?? '';
  for (const k of CATEGORY_KINDS) v[`categories.${k}`] = c.categories[k] ?? '';
  return v;
}

/** The API body for these values: only the fields of the chosen kind, blanks left out. */
function bodyOf(v: Values): Record<string, unknown> {
  const keys = [...(v.kind === 'organisation' ? ORGANISATION : PERSON), ...COMMON, 'kind', 'status'];
  const body = unflatten(v, keys);
  if (body.phones !== undefined)
    body.phones = String(body.phones)
      .split(/[,;]/)
      .map((p) => p.trim())
      .filter(Boolean);
  const doc = body.idDocument as { type?: string; number?: string } | undefined;
  if (doc) body.idDocument = doc.number ? { type: doc.type ?? 'national_id', number: doc.number } : undefined;
  if (!body.idDocument) delete body.idDocument;
  return body;
}

/** Only what changed since the form opened; cleared fields become null (or [] for phones). */
function changesOf(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[k]) === JSON.stringify(after[k])) continue;
    out[k] = after[k] ?? (k === 'phones' ? [] : null);
  }
  return out;
}

function CustomerFields({ form, edit }: { form: ReturnType<typeof useApiForm>; edit: boolean }) {
  const { t } = useTranslation();
  const categories = useQuery({
    queryKey: ['categories'],
    queryFn: () => get<Category[]>('/api/v1/categories'),
  });
  const v = form.values;
  const text = (k: string, props: Partial<React.ComponentProps<typeof TextInput>> = {}) => (
    <TextInput
      label={t(`customer.fields.${k}`)}
      name={k}
      value={v[k] ?? ''}
      onChange={(e) => form.set(k, e.currentTarget.value)}
      error={form.err(k)}
      {...props}
    />
  );
  const person = v.kind !== 'organisation';
  return (
    <Stack gap="md">
      <Group>
        <SegmentedControl
          value={v.kind || 'person'}
          disabled={edit}
          onChange={(k) => form.set('kind', k)}
          data={[
            { value: 'person', label: t('customer.kinds.person') },
            { value: 'organisation', label: t('customer.kinds.organisation') },
          ]}
        />
        <Select
          w={180}
          aria-label={t('customer.status')}
          value={v.status || 'prospect'}
          onChange={(s) => form.set('status', s)}
          error={form.err('status')}
          allowDeselect={false}
          data={(edit ? ['prospect', 'active', 'inactive', 'closed'] : ['prospect', 'active']).map((s) => ({
            value: s,
            label: t(`status.${s}`),
          }))}
        />
      </Group>
      <Paper withBorder p="md">
        <Title order={5} mb="xs">
          {t('customer.identity')}
        </Title>
        {person ? (
          <Grid>
            <Grid.Col span={2}>{text('title')}</Grid.Col>
            <Grid.Col span={5}>{text('lastName', { required: true })}</Grid.Col>
            <Grid.Col span={5}>{text('firstNames', { required: true })}</Grid.Col>
            <Grid.Col span={4}>{text('nickname')}</Grid.Col>
            <Grid.Col span={3}>{text('birthDate', { type: 'date' })}</Grid.Col>
            <Grid.Col span={2}>
              <Select
                label={t('customer.fields.idDocument.type')}
                value={v['idDocument.type'] || 'national_id'}
                onChange={(s) => form.set('idDocument.type', s)}
                allowDeselect={false}
                data={['national_id', 'passport', 'residence_permit', 'other'].map((d) => ({
                  value: d,
                  label: t(`customer.documents.${d}`),
                }))}
              />
            </Grid.Col>
            <Grid.Col span={3}>{text('idDocument.number')}</Grid.Col>
          </Grid>
        ) : (
          <Grid>
            <Grid.Col span={6}>{text('companyName', { required: true })}</Grid.Col>
            <Grid.Col span={3}>{text('tradeName')}</Grid.Col>
            <Grid.Col span={3}>{text('registrationNumber')}</Grid.Col>
          </Grid>
        )}
        <Grid mt="xs">
          <Grid.Col span={5}>{text('phones', { description: t('customer.phonesHint') })}</Grid.Col>
          <Grid.Col span={5}>{text('email', { type: 'email' })}</Grid.Col>
          <Grid.Col span={2}>
            <Select
              label={t('customer.fields.preferredLanguage')}
              value={v.preferredLanguage || 'fr'}
              onChange={(s) => form.set('preferredLanguage', s)}
              allowDeselect={false}
              data={[
                { value: 'fr', label: 'Français' },
                { value: 'en', label: 'English' },
              ]}
            />
          </Grid.Col>
        </Grid>
      </Paper>
      <Paper withBorder p="md">
        <Title order={5} mb="xs">
          {t('customer.address')}
        </Title>
        <Grid>
          <Grid.Col span={2}>{text('address.number')}</Grid.Col>
          <Grid.Col span={6}>{text('address.street', { required: true })}</Grid.Col>
          <Grid.Col span={4}>{text('address.district')}</Grid.Col>
          <Grid.Col span={6}>{text('address.locality', { required: true })}</Grid.Col>
          <Grid.Col span={3}>{text('address.postalCode')}</Grid.Col>
        </Grid>
      </Paper>
      <Paper withBorder p="md">
        <Title order={5} mb="xs">
          {t('customer.categories')}
        </Title>
        <QueryState query={categories}>
          {(list) => (
            <Grid>
              {CATEGORY_KINDS.map((kind) => (
                <Grid.Col span={{ base: 6, lg: 2.4 }} key={kind}>
                  <Select
                    label={t(`categoryKinds.${kind}`)}
                    name={`categories.${kind}`}
                    required
                    searchable
                    value={v[`categories.${kind}`] || null}
                    onChange={(s) => form.set(`categories.${kind}`, s)}
                    error={form.err(`categories.${kind}`)}
                    data={list
                      .filter((c) => c.kind === kind && (c.active || c.code === v[`categories.${kind}`]))
                      .map((c) => ({ value: c.code, label: `${c.code} — ${c.label}` }))}
                  />
                </Grid.Col>
              ))}
            </Grid>
          )}
        </QueryState>
      </Paper>
      {form.general && <Alert color="red">{form.general}</Alert>}
    </Stack>
  );
}

export function CustomerNew() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({
    ...EMPTY,
    kind: 'person',
    status: 'prospect',
    preferredLanguage: 'fr',
    'idDocument.type': 'national_id',
  });
  const save = useMutation({
    mutationFn: () => post<Customer>('/api/v1/customers', bodyOf(form.values)),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: ['customers'] });
      notifications.show({ color: 'green', message: t('customer.created', { code: c.code }) });
      navigate(`/customers/${c.code}`);
    },
    onError: form.fail,
  });
  return (
    <form
      noValidate
      onSubmit={(e) => (e.preventDefault(), form.require(requiredOf(form.values)) && save.mutate())}
    >
      <Group justify="space-between" mb="md">
        <Title order={3}>{t('customer.newTitle')}</Title>
        <Button type="submit" loading={save.isPending} data-testid="save-customer">
          {t('common.create')}
        </Button>
      </Group>
      <CustomerFields form={form} edit={false} />
    </form>
  );
}

export function CustomerEdit({ code }: { code: string }) {
  const view = useQuery({
    queryKey: ['customer', code],
    queryFn: () => get<Customer360>(`/api/v1/customers/${encodeURIComponent(code)}`),
  });
  return <QueryState query={view}>{(v) => <EditForm customer={v.customer} />}</QueryState>;
}

function EditForm({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const initial = valuesOf(customer);
  const form = useApiForm(initial);
  const save = useMutation({
    mutationFn: () => {
      const changes = changesOf(bodyOf(initial), bodyOf(form.values));
      delete changes.kind;
      return patch<Customer>(`/api/v1/customers/${customer.code}`, { ...changes, version: customer.version });
    },
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: ['customer', c.code] });
      void qc.invalidateQueries({ queryKey: ['customers'] });
      notifications.show({ color: 'green', message: t('common.saved') });
      navigate(`/customers/${c.code}`);
    },
    onError: form.fail,
  });
  return (
    <form
      noValidate
      onSubmit={(e) => (e.preventDefault(), form.require(requiredOf(form.values)) && save.mutate())}
    >
      <Group justify="space-between" mb="md">
        <Title order={3}>
          {t('customer.editTitle')} — {customer.displayName} ({customer.code})
        </Title>
        <Group>
          <Button variant="default" onClick={() => navigate(`/customers/${customer.code}`)}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Group>
      <CustomerFields form={form} edit />
    </form>
  );
}
