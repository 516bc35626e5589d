import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  Modal,
  Paper,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../components/Pager';
import { Empty, QueryState } from '../components/States';
import { get, post, qs } from '../lib/api';
import { useCan } from '../lib/auth';
import { dateTime } from '../lib/format';
import { unflatten, useApiForm } from '../lib/form';
import type { BlacklistEntry, BlacklistMatch, Page } from '../lib/types';

function AddModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({ customerCode: '', idDocumentNumber: '', name: '', reason: '' });
  const save = useMutation({
    mutationFn: () => post('/api/v1/blacklist', unflatten(form.values)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['blacklist'] });
      void qc.invalidateQueries({ queryKey: ['blacklist-check'] });
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} title={t('blacklist.add')}>
      <form noValidate onSubmit={(e) => (e.preventDefault(), save.mutate())}>
        <Stack>
          <Text size="xs" c="dimmed">
            {t('blacklist.addHint')}
          </Text>
          {(['customerCode', 'idDocumentNumber', 'name', 'reason'] as const).map((k) => (
            <TextInput
              key={k}
              label={t(`blacklist.fields.${k}`)}
              withAsterisk={k === 'reason'}
              value={form.values[k]}
              onChange={(e) => form.set(k, e.currentTarget.value)}
              error={form.err(k)}
            />
          ))}
          {form.general && <Alert color="red">{form.general}</Alert>}
          <Group justify="flex-end">
            <Button type="submit" color="red" loading={save.isPending}>
              {t('blacklist.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function LiftModal({ entry, onClose }: { entry: BlacklistEntry; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({ reason: '' });
  const save = useMutation({
    mutationFn: () => post(`/api/v1/blacklist/${entry.id}/lift`, { reason: form.values.reason?.trim() }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['blacklist'] });
      void qc.invalidateQueries({ queryKey: ['blacklist-check'] });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} title={t('blacklist.lift')}>
      <Stack>
        <Text size="sm">{entry.name ?? entry.customerCode ?? entry.idDocumentNumber}</Text>
        <TextInput
          label={t('blacklist.liftReason')}
          withAsterisk
          value={form.values.reason}
          onChange={(e) => form.set('reason', e.currentTarget.value)}
          error={form.err('reason')}
        />
        {form.general && <Alert color="red">{form.general}</Alert>}
        <Group justify="flex-end">
          <Button onClick={() => save.mutate()} loading={save.isPending}>
            {t('common.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function Check() {
  const { t } = useTranslation();
  const form = useApiForm({ customerCode: '', idDocumentNumber: '', name: '' });
  const check = useMutation({
    mutationFn: () => post<BlacklistMatch>('/api/v1/blacklist/check', unflatten(form.values)),
    onError: form.fail,
  });
  return (
    <Paper withBorder p="sm" mb="md">
      <form noValidate onSubmit={(e) => (e.preventDefault(), check.mutate())}>
        <Grid align="flex-end">
          {(['customerCode', 'idDocumentNumber', 'name'] as const).map((k) => (
            <Grid.Col span={3} key={k}>
              <TextInput
                label={t(`blacklist.fields.${k}`)}
                value={form.values[k]}
                onChange={(e) => form.set(k, e.currentTarget.value)}
                error={form.err(k)}
              />
            </Grid.Col>
          ))}
          <Grid.Col span={3}>
            <Button type="submit" variant="light" loading={check.isPending} fullWidth>
              {t('blacklist.check')}
            </Button>
          </Grid.Col>
        </Grid>
      </form>
      {form.general && (
        <Alert color="red" mt="sm">
          {form.general}
        </Alert>
      )}
      {check.data && (
        <Alert mt="sm" color={check.data.blacklisted ? 'red' : 'green'} data-testid="blacklist-result">
          {check.data.blacklisted
            ? `${t('blacklist.found')} ${check.data.matches.map((m) => `${m.name ?? m.customerCode ?? m.idDocumentNumber} (${m.reason})`).join(' · ')}`
            : t('blacklist.clear')}
        </Alert>
      )}
    </Paper>
  );
}

export function Blacklist() {
  const { t } = useTranslation();
  const can = useCan();
  const [includeLifted, setIncludeLifted] = useState(false);
  const [adding, setAdding] = useState(false);
  const [lifting, setLifting] = useState<BlacklistEntry | null>(null);
  const pager = useCursor();
  const list = useQuery({
    queryKey: ['blacklist', includeLifted, pager.cursor],
    queryFn: () =>
      get<Page<BlacklistEntry>>(`/api/v1/blacklist${qs({ includeLifted, limit: 25, cursor: pager.cursor })}`),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('nav.blacklist')}</Title>
        {can('blacklist:write') && (
          <Button color="red" onClick={() => setAdding(true)}>
            {t('blacklist.add')}
          </Button>
        )}
      </Group>
      <Check />
      <Switch
        mb="sm"
        label={t('blacklist.includeLifted')}
        checked={includeLifted}
        onChange={(e) => {
          setIncludeLifted(e.currentTarget.checked);
          pager.reset();
        }}
      />
      <QueryState query={list}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty />
          ) : (
            <Paper withBorder>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('blacklist.fields.name')}</Table.Th>
                    <Table.Th>{t('blacklist.fields.customerCode')}</Table.Th>
                    <Table.Th>{t('blacklist.fields.idDocumentNumber')}</Table.Th>
                    <Table.Th>{t('blacklist.fields.reason')}</Table.Th>
                    <Table.Th>{t('blacklist.listedAt')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>{e.name ?? '—'}</Table.Td>
                      <Table.Td>{e.customerCode ?? '—'}</Table.Td>
                      <Table.Td>{e.idDocumentNumber ?? '—'}</Table.Td>
                      <Table.Td>{e.reason}</Table.Td>
                      <Table.Td>{dateTime(e.listedAt)}</Table.Td>
                      <Table.Td>
                        {e.liftedAt ? (
                          <Badge color="gray" title={e.liftReason ?? ''}>
                            {t('blacklist.lifted')} {dateTime(e.liftedAt)}
                          </Badge>
                        ) : (
                          can('blacklist:write') && (
                            <Button size="compact-xs" variant="default" onClick={() => setLifting(e)}>
                              {t('blacklist.lift')}
                            </Button>
                          )
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      <Pager pager={pager} nextCursor={list.data?.nextCursor} />
      {adding && <AddModal onClose={() => setAdding(false)} />}
      {lifting && <LiftModal entry={lifting} onClose={() => setLifting(null)} />}
    </>
  );
}
