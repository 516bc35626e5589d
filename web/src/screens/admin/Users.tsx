import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  Modal,
  MultiSelect,
  Paper,
  PasswordInput,
  Stack,
  Table,
  TagsInput,
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
import { useApiForm } from '../../lib/form';
import type { Actor, AppUser, Role } from '../../lib/types';

const list = (s: string | undefined) => (s ?? '').split(',').filter(Boolean);

function UserModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => get<Role[]>('/api/v1/roles') });
  const actors = useQuery({ queryKey: ['actors'], queryFn: () => get<Actor[]>('/api/v1/actors') });
  const form = useApiForm({
    username: '',
    displayName: '',
    password: '',
    roles: '',
    actors: '',
    zone: '',
    skills: '',
  });
  const save = useMutation({
    mutationFn: () => {
      const v = form.values;
      return post('/api/v1/users', {
        username: v.username?.trim(),
        displayName: v.displayName?.trim(),
        password: v.password,
        roles: list(v.roles),
        actors: list(v.actors),
        ...(v.zone?.trim() ? { zone: v.zone.trim() } : {}),
        ...(v.skills ? { skills: list(v.skills) } : {}),
      });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['users'] });
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  const text = (k: string) => (
    <TextInput
      label={t(`admin.fields.${k}`)}
      value={form.values[k] ?? ''}
      onChange={(e) => form.set(k, e.currentTarget.value)}
      error={form.err(k)}
    />
  );
  return (
    <Modal opened onClose={onClose} size="lg" title={t('admin.addUser')}>
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Stack>
          <Grid>
            <Grid.Col span={6}>{text('username')}</Grid.Col>
            <Grid.Col span={6}>{text('displayName')}</Grid.Col>
            <Grid.Col span={6}>
              <PasswordInput
                label={t('admin.fields.password')}
                value={form.values.password}
                onChange={(e) => form.set('password', e.currentTarget.value)}
                error={form.err('password')}
              />
            </Grid.Col>
            <Grid.Col span={6}>{text('zone')}</Grid.Col>
            <Grid.Col span={6}>
              <MultiSelect
                label={t('admin.fields.roles')}
                value={list(form.values.roles)}
                onChange={(v) => form.set('roles', v.join(','))}
                error={form.err('roles')}
                data={(roles.data ?? []).map((r) => ({ value: r.code, label: r.name }))}
              />
            </Grid.Col>
            <Grid.Col span={6}>
              <MultiSelect
                label={t('admin.fields.actors')}
                value={list(form.values.actors)}
                onChange={(v) => form.set('actors', v.join(','))}
                error={form.err('actors')}
                data={(actors.data ?? [])
                  .filter((a) => a.kind === 'human')
                  .map((a) => ({ value: a.code, label: a.name }))}
              />
            </Grid.Col>
            <Grid.Col span={12}>
              <TagsInput
                label={t('admin.fields.skills')}
                value={list(form.values.skills)}
                onChange={(v) => form.set('skills', v.join(','))}
                error={form.err('skills')}
              />
            </Grid.Col>
          </Grid>
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

/** The operator's staff accounts with their roles (rights) and actors (baskets). */
export function Users() {
  const { t } = useTranslation();
  const [adding, setAdding] = useState(false);
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<AppUser[]>('/api/v1/users') });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('nav.users')}</Title>
        <Button onClick={() => setAdding(true)}>{t('admin.addUser')}</Button>
      </Group>
      <QueryState query={users}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty />
          ) : (
            <Paper withBorder>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('admin.fields.username')}</Table.Th>
                    <Table.Th>{t('admin.fields.displayName')}</Table.Th>
                    <Table.Th>{t('admin.fields.roles')}</Table.Th>
                    <Table.Th>{t('admin.fields.actors')}</Table.Th>
                    <Table.Th>{t('admin.fields.zone')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((u) => (
                    <Table.Tr key={u.id}>
                      <Table.Td ff="monospace">{u.username}</Table.Td>
                      <Table.Td>{u.displayName}</Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {u.roles.map((r) => (
                            <Badge key={r} size="sm" variant="light">
                              {r}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{u.actors.join(', ') || '—'}</Text>
                      </Table.Td>
                      <Table.Td>{u.zone ?? '—'}</Table.Td>
                      <Table.Td>{!u.active && <Badge color="gray">{t('status.inactive')}</Badge>}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      {adding && <UserModal onClose={() => setAdding(false)} />}
    </>
  );
}
