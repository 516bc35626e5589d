import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  Modal,
  NumberInput,
  Paper,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { get, patch, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { useApiForm } from '../../lib/form';
import { CATEGORY_KINDS, type Category, type CategoryKind, type Tax } from '../../lib/types';

function CategoryModal({
  kind,
  category,
  onClose,
}: {
  kind: CategoryKind;
  category: Category | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({
    code: category?.code ?? '',
    label: category?.label ?? '',
    collectiveAccount: category?.collectiveAccount ?? '',
    taxExempt: category?.taxExempt ? 'true' : '',
    active: category === null || category.active ? 'true' : '',
    taxes: '',
  });
  const [taxes, setTaxes] = useState<Tax[]>(category?.taxes ?? []);
  const save = useMutation({
    mutationFn: () => {
      const v = form.values;
      const body: Record<string, unknown> = { label: v.label?.trim() };
      if (kind === 'accounting' && v.collectiveAccount?.trim())
        body.collectiveAccount = v.collectiveAccount.trim();
      if (kind === 'tax') {
        body.taxExempt = v.taxExempt === 'true';
        body.taxes = taxes;
      }
      if (category)
        return patch(`/api/v1/categories/${category.id}`, { ...body, active: v.active === 'true' });
      return post('/api/v1/categories', { ...body, kind, code: v.code?.trim() });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['categories'] });
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  const setTax = (i: number, k: keyof Tax, value: string | number) =>
    setTaxes((list) => list.map((x, j) => (j === i ? { ...x, [k]: value } : x)));
  return (
    <Modal
      opened
      onClose={onClose}
      size="lg"
      title={`${t(`categoryKinds.${kind}`)} — ${category ? category.code : t('common.new')}`}
    >
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Stack>
          <Grid>
            <Grid.Col span={4}>
              <TextInput
                label={t('category.code')}
                disabled={!!category}
                value={form.values.code}
                onChange={(e) => form.set('code', e.currentTarget.value)}
                error={form.err('code')}
              />
            </Grid.Col>
            <Grid.Col span={8}>
              <TextInput
                label={t('category.label')}
                value={form.values.label}
                onChange={(e) => form.set('label', e.currentTarget.value)}
                error={form.err('label')}
              />
            </Grid.Col>
          </Grid>
          {kind === 'accounting' && (
            <TextInput
              label={t('category.collectiveAccount')}
              value={form.values.collectiveAccount}
              onChange={(e) => form.set('collectiveAccount', e.currentTarget.value)}
              error={form.err('collectiveAccount')}
            />
          )}
          {kind === 'tax' && (
            <>
              <Checkbox
                label={t('category.taxExempt')}
                checked={form.values.taxExempt === 'true'}
                onChange={(e) => form.set('taxExempt', e.currentTarget.checked ? 'true' : '')}
              />
              {taxes.map((x, i) => (
                <Group key={i} gap="xs" align="flex-end" wrap="nowrap">
                  <TextInput
                    label={t('category.taxCode')}
                    w={100}
                    value={x.code}
                    onChange={(e) => setTax(i, 'code', e.currentTarget.value)}
                  />
                  <TextInput
                    label={t('category.label')}
                    style={{ flex: 1 }}
                    value={x.label}
                    onChange={(e) => setTax(i, 'label', e.currentTarget.value)}
                  />
                  <NumberInput
                    label={t('category.rate')}
                    w={110}
                    suffix=" %"
                    decimalScale={2}
                    value={x.rateBasisPoints / 100}
                    onChange={(n) => setTax(i, 'rateBasisPoints', Math.round(Number(n) * 100))}
                  />
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    mb={4}
                    onClick={() => setTaxes((l) => l.filter((_, j) => j !== i))}
                    aria-label={t('common.remove')}
                  >
                    ✕
                  </ActionIcon>
                </Group>
              ))}
              {form.err('taxes') && (
                <Text c="red" size="xs">
                  {form.err('taxes')}
                </Text>
              )}
              <Button
                size="xs"
                variant="default"
                onClick={() => setTaxes((l) => [...l, { code: '', label: '', rateBasisPoints: 0 }])}
              >
                {t('category.addTax')}
              </Button>
            </>
          )}
          {category && (
            <Checkbox
              label={t('category.active')}
              checked={form.values.active === 'true'}
              onChange={(e) => form.set('active', e.currentTarget.checked ? 'true' : '')}
            />
          )}
          {form.general && <Alert color="red">{form.general}</Alert>}
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The five category lists a customer is filed under. */
export function Categories() {
  const { t } = useTranslation();
  const can = useCan();
  const write = can('category:write');
  const [kind, setKind] = useState<CategoryKind>('commercial1');
  const [editing, setEditing] = useState<Category | 'new' | null>(null);
  const list = useQuery({ queryKey: ['categories'], queryFn: () => get<Category[]>('/api/v1/categories') });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('nav.categories')}</Title>
        {write && <Button onClick={() => setEditing('new')}>{t('category.add')}</Button>}
      </Group>
      <Tabs value={kind} onChange={(k) => k && setKind(k as CategoryKind)} mb="sm">
        <Tabs.List>
          {CATEGORY_KINDS.map((k) => (
            <Tabs.Tab key={k} value={k}>
              {t(`categoryKinds.${k}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <QueryState query={list}>
        {(all) => {
          const rows = all.filter((c) => c.kind === kind);
          if (rows.length === 0) return <Empty />;
          return (
            <Paper withBorder>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('category.code')}</Table.Th>
                    <Table.Th>{t('category.label')}</Table.Th>
                    <Table.Th>{t('category.details')}</Table.Th>
                    <Table.Th>{t('category.active')}</Table.Th>
                    {write && <Table.Th />}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((c) => (
                    <Table.Tr key={c.id}>
                      <Table.Td ff="monospace">{c.code}</Table.Td>
                      <Table.Td>{c.label}</Table.Td>
                      <Table.Td>
                        {c.collectiveAccount ??
                          (c.kind === 'tax'
                            ? c.taxExempt
                              ? t('category.taxExempt')
                              : (c.taxes ?? [])
                                  .map((x) => `${x.code} ${x.rateBasisPoints / 100} %`)
                                  .join(' + ')
                            : '')}
                      </Table.Td>
                      <Table.Td>
                        <Badge color={c.active ? 'green' : 'gray'} variant="light" size="sm">
                          {c.active ? t('common.yes') : t('common.no')}
                        </Badge>
                      </Table.Td>
                      {write && (
                        <Table.Td>
                          <Button size="compact-xs" variant="default" onClick={() => setEditing(c)}>
                            {t('common.edit')}
                          </Button>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          );
        }}
      </QueryState>
      {editing && (
        <CategoryModal
          kind={editing === 'new' ? kind : editing.kind}
          category={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
    </>
  );
}
