import {
  Alert,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
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
import { Empty, ErrorAlert, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useApiForm } from '../../lib/form';

interface Sim {
  iccid: string;
  imsi: string;
  batch: string;
  status: string;
  shop: string | null;
  directoryNumber: string | null;
  history: { from_status: string | null; to_status: string; reason: string | null; at: string }[];
}

const ACTIONS = ['suspend', 'restore', 'return_to_stock', 'destroy', 'declare_lost'] as const;

function SimCard({ iccid }: { iccid: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const qc = useQueryClient();
  const sim = useQuery({
    queryKey: ['sim', iccid],
    queryFn: () => get<Sim>(`/api/v1/inventory/sims/${iccid}`),
  });
  const form = useApiForm({ action: 'suspend', reason: '', newIccid: '' });
  const [confirmPuk, setConfirmPuk] = useState(false);
  const [puk, setPuk] = useState<Record<string, string> | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['sim'] });
    void qc.invalidateQueries({ queryKey: ['sims'] });
    notifications.show({ color: 'green', message: t('common.saved') });
  };
  const act = useMutation({
    mutationFn: () =>
      post(`/api/v1/inventory/sims/${iccid}/actions`, {
        action: form.values.action,
        ...(form.values.reason?.trim() ? { reason: form.values.reason.trim() } : {}),
      }),
    onSuccess: refresh,
    onError: form.fail,
  });
  const replace = useMutation({
    mutationFn: () =>
      post(`/api/v1/inventory/sims/${iccid}/replace`, {
        newIccid: form.values.newIccid?.trim(),
        ...(form.values.reason?.trim() ? { reason: form.values.reason.trim() } : {}),
      }),
    onSuccess: refresh,
    onError: form.fail,
  });
  const reveal = useMutation({
    mutationFn: () => post<Record<string, string>>(`/api/v1/inventory/sims/${iccid}/puk`),
    onSuccess: (p) => {
      setPuk(p);
      setConfirmPuk(false);
    },
  });
  return (
    <QueryState query={sim}>
      {(s) => (
        <Paper withBorder p="md" data-testid="sim-card">
          <Group gap="sm" mb="xs">
            <Text ff="monospace" fw={700}>
              {s.iccid}
            </Text>
            <StatusBadge status={s.status} />
          </Group>
          <SimpleGrid cols={4} mb="sm">
            <Text size="sm">IMSI {s.imsi}</Text>
            <Text size="sm">
              {t('inventory.batch')} {s.batch}
            </Text>
            <Text size="sm">
              {t('inventory.shop')} {s.shop ?? '—'}
            </Text>
            <Text size="sm">
              {t('subscription.number')} {s.directoryNumber ?? '—'}
            </Text>
          </SimpleGrid>
          {can('sim:write') && (
            <Group align="flex-end" mb="sm">
              <Select
                label={t('inventory.action')}
                value={form.values.action ?? null}
                onChange={(v) => form.set('action', v)}
                error={form.err('action')}
                allowDeselect={false}
                data={ACTIONS.map((a) => ({ value: a, label: t(`inventory.actions.${a}`) }))}
              />
              <TextInput
                label={t('subscription.reason')}
                value={form.values.reason}
                onChange={(e) => form.set('reason', e.currentTarget.value)}
                error={form.err('reason')}
              />
              <Button onClick={() => act.mutate()} loading={act.isPending}>
                {t('common.confirm')}
              </Button>
              <TextInput
                label={t('inventory.newIccid')}
                value={form.values.newIccid}
                onChange={(e) => form.set('newIccid', e.currentTarget.value)}
                error={form.err('newIccid')}
              />
              <Button variant="default" onClick={() => replace.mutate()} loading={replace.isPending}>
                {t('inventory.replace')}
              </Button>
            </Group>
          )}
          {form.general && <Alert color="red">{form.general}</Alert>}
          {can('sim:secret') && (
            <Group mb="sm">
              <Button variant="light" color="orange" onClick={() => setConfirmPuk(true)}>
                {t('inventory.revealPuk')}
              </Button>
              {puk && (
                <Text ff="monospace" data-testid="puk">
                  PUK1 {puk.puk1} · PUK2 {puk.puk2}
                </Text>
              )}
            </Group>
          )}
          <Table>
            <Table.Tbody>
              {s.history.map((h, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{dateTime(h.at)}</Table.Td>
                  <Table.Td>
                    {h.from_status ?? '—'} → {h.to_status}
                  </Table.Td>
                  <Table.Td>{h.reason ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Modal opened={confirmPuk} onClose={() => setConfirmPuk(false)} title={t('inventory.revealPuk')}>
            <Stack>
              <Text size="sm">{t('inventory.pukWarning')}</Text>
              {reveal.error && <ErrorAlert error={reveal.error} />}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setConfirmPuk(false)}>
                  {t('common.cancel')}
                </Button>
                <Button color="orange" onClick={() => reveal.mutate()} loading={reveal.isPending}>
                  {t('inventory.reveal')}
                </Button>
              </Group>
            </Stack>
          </Modal>
        </Paper>
      )}
    </QueryState>
  );
}

/** SIM stock by shop and status, and one SIM's file with its actions. */
export function Sims() {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [iccid, setIccid] = useState<string | null>(null);
  const stock = useQuery({
    queryKey: ['sims', 'stock'],
    queryFn: () =>
      get<{ shop: string | null; status: string; count: number }[]>('/api/v1/inventory/sims/stock'),
  });
  return (
    <>
      <Title order={5} mb="xs">
        {t('inventory.stock')}
      </Title>
      <QueryState query={stock}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty />
          ) : (
            <Paper withBorder mb="md">
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('inventory.shop')}</Table.Th>
                    <Table.Th>{t('basket.status')}</Table.Th>
                    <Table.Th>{t('inventory.count')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr key={`${r.shop}-${r.status}`}>
                      <Table.Td>{r.shop ?? t('inventory.warehouse')}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={r.status} />
                      </Table.Td>
                      <Table.Td>{r.count}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setIccid(text.replace(/\s/g, '') || null);
        }}
      >
        <Group align="flex-end" mb="sm">
          <TextInput
            label="ICCID"
            w={280}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            data-testid="iccid"
          />
          <Button type="submit" variant="default">
            {t('inventory.open')}
          </Button>
        </Group>
      </form>
      {iccid && <SimCard key={iccid} iccid={iccid} />}
    </>
  );
}
