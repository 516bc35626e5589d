import { Alert, Button, Grid, Group, Modal, Paper, Table, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty } from '../../components/States';
import { patch, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { unflatten, useApiForm } from '../../lib/form';
import type { Customer360, SubscriptionUser } from '../../lib/types';
import { useRefresh, userName } from './SubscriptionsPanel';

const FIELDS = ['title', 'lastName', 'firstNames', 'phone', 'email', 'idDocumentNumber'] as const;

function UserModal({
  view,
  user,
  onClose,
}: {
  view: Customer360;
  user: SubscriptionUser | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const refresh = useRefresh(view.customer.code);
  const initial = Object.fromEntries(FIELDS.map((k) => [k, user?.[k] ?? '']));
  const form = useApiForm(initial);
  const save = useMutation({
    mutationFn: () => {
      const body = unflatten(form.values);
      if (!user) return post(`/api/v1/customers/${view.customer.code}/users`, body);
      const changes: Record<string, unknown> = {};
      for (const k of FIELDS) if ((form.values[k] ?? '').trim() !== initial[k]) changes[k] = body[k] ?? null;
      return patch(`/api/v1/subscription-users/${user.id}`, changes);
    },
    onSuccess: () => {
      refresh();
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  const spans: Record<string, number> = {
    title: 2,
    lastName: 5,
    firstNames: 5,
    phone: 4,
    email: 4,
    idDocumentNumber: 4,
  };
  return (
    <Modal opened onClose={onClose} size="lg" title={user ? t('user.edit') : t('user.add')}>
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Grid>
          {FIELDS.map((k) => (
            <Grid.Col span={spans[k] ?? 4} key={k}>
              <TextInput
                label={t(`user.fields.${k}`)}
                name={k}
                withAsterisk={k === 'lastName'}
                value={form.values[k] ?? ''}
                onChange={(e) => form.set(k, e.currentTarget.value)}
                error={form.err(k)}
              />
            </Grid.Col>
          ))}
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
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}

/** The people who use the customer's lines (they need not be the customer). */
export function UsersPanel({ view }: { view: Customer360 }) {
  const { t } = useTranslation();
  const can = useCan();
  const [editing, setEditing] = useState<SubscriptionUser | 'new' | null>(null);
  return (
    <Paper withBorder p="sm">
      {can('customer:write') && (
        <Group justify="flex-end" mb="xs">
          <Button size="xs" onClick={() => setEditing('new')}>
            {t('user.add')}
          </Button>
        </Group>
      )}
      {view.users.length === 0 ? (
        <Empty>{t('user.none')}</Empty>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('user.name')}</Table.Th>
              <Table.Th>{t('user.fields.phone')}</Table.Th>
              <Table.Th>{t('user.fields.email')}</Table.Th>
              <Table.Th>{t('user.fields.idDocumentNumber')}</Table.Th>
              <Table.Th>{t('user.lines')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {view.users.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>{userName(u)}</Table.Td>
                <Table.Td>{u.phone ?? '—'}</Table.Td>
                <Table.Td>{u.email ?? '—'}</Table.Td>
                <Table.Td>{u.idDocumentNumber ?? '—'}</Table.Td>
                <Table.Td>
                  {view.subscriptions
                    .filter((s) => s.userId === u.id && s.status !== 'terminated')
                    .map((s) => s.directoryNumber ?? s.code)
                    .join(', ') || '—'}
                </Table.Td>
                <Table.Td>
                  {can('customer:write') && (
                    <Button size="compact-xs" variant="default" onClick={() => setEditing(u)}>
                      {t('common.edit')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <UserModal view={view} user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </Paper>
  );
}
