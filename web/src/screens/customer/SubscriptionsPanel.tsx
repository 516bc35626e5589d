import {
  Anchor,
  Alert,
  Button,
  Group,
  Menu,
  Modal,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { date } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Customer360, Subscription } from '../../lib/types';
import { AddSubscription } from './AddSubscription';

const NEXT: Record<Subscription['status'], Subscription['status'][]> = {
  pending: ['active', 'terminated'],
  active: ['suspended', 'terminated'],
  suspended: ['active', 'terminated'],
  terminated: [],
};

export function userName(u: { title: string | null; firstNames: string | null; lastName: string }): string {
  return [u.title, u.firstNames, u.lastName].filter(Boolean).join(' ');
}

/** Refreshes the 360° and its timeline after any change to this customer. */
export function useRefresh(code: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: ['customer', code] });
    void qc.invalidateQueries({ queryKey: ['timeline', code] });
  };
}

function StatusModal({ s, code, onClose }: { s: Subscription; code: string; onClose: () => void }) {
  const { t } = useTranslation();
  const refresh = useRefresh(code);
  const form = useApiForm({ status: NEXT[s.status][0] ?? '', reason: '' });
  const save = useMutation({
    mutationFn: () =>
      post(`/api/v1/subscriptions/${s.id}/status`, {
        status: form.values.status,
        ...(form.values.reason?.trim() ? { reason: form.values.reason.trim() } : {}),
      }),
    onSuccess: () => {
      refresh();
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} title={`${t('subscription.changeStatus')} — ${s.code}`}>
      <Stack>
        <Select
          label={t('subscription.newStatus')}
          value={form.values.status ?? null}
          onChange={(v) => form.set('status', v)}
          error={form.err('status')}
          allowDeselect={false}
          data={NEXT[s.status].map((x) => ({ value: x, label: t(`status.${x}`) }))}
        />
        <TextInput
          label={t('subscription.reason')}
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

function MovePayerModal({ s, view, onClose }: { s: Subscription; view: Customer360; onClose: () => void }) {
  const { t } = useTranslation();
  const refresh = useRefresh(view.customer.code);
  const others = view.payers.filter((p) => p.id !== s.payerId && p.status === 'active');
  const form = useApiForm({ payerId: others[0] ? String(others[0].id) : '' });
  const save = useMutation({
    mutationFn: () => post(`/api/v1/subscriptions/${s.id}/payer`, { payerId: Number(form.values.payerId) }),
    onSuccess: () => {
      refresh();
      notifications.show({ color: 'green', message: t('common.saved') });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} title={`${t('subscription.movePayer')} — ${s.code}`}>
      <Stack>
        {others.length === 0 ? (
          <Alert color="yellow">{t('subscription.noOtherPayer')}</Alert>
        ) : (
          <Select
            label={t('subscription.payer')}
            value={form.values.payerId || null}
            onChange={(v) => form.set('payerId', v)}
            error={form.err('payerId')}
            allowDeselect={false}
            data={others.map((p) => ({ value: String(p.id), label: `${p.code} — ${p.name}` }))}
          />
        )}
        {form.general && <Alert color="red">{form.general}</Alert>}
        <Group justify="flex-end">
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={others.length === 0}>
            {t('common.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function SubscriptionsTable({
  view,
  subscriptions,
  onStatus,
  onMove,
}: {
  view: Customer360;
  subscriptions: Subscription[];
  onStatus?: (s: Subscription) => void;
  onMove?: (s: Subscription) => void;
}) {
  const { t } = useTranslation();
  const can = useCan();
  if (subscriptions.length === 0) return <Empty>{t('subscription.none')}</Empty>;
  const payer = (id: number) => view.payers.find((p) => p.id === id)?.code ?? id;
  const user = (id: number | null) => {
    const u = view.users.find((x) => x.id === id);
    return u ? userName(u) : '—';
  };
  // Options follow their line, indented.
  const ordered = subscriptions
    .filter((s) => !s.parentId || !subscriptions.some((p) => p.id === s.parentId))
    .flatMap((s) => [s, ...subscriptions.filter((o) => o.parentId === s.id)]);
  return (
    <Table striped data-testid="subscriptions">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('subscription.code')}</Table.Th>
          <Table.Th>{t('subscription.product')}</Table.Th>
          <Table.Th>{t('subscription.number')}</Table.Th>
          <Table.Th>{t('subscription.status')}</Table.Th>
          <Table.Th>{t('subscription.payer')}</Table.Th>
          <Table.Th>{t('subscription.user')}</Table.Th>
          <Table.Th>{t('subscription.since')}</Table.Th>
          {(onStatus || onMove) && <Table.Th />}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {ordered.map((s) => (
          <Table.Tr key={s.id}>
            <Table.Td pl={s.parentId ? 'xl' : undefined}>
              <Text ff="monospace" size="sm">
                {s.parentId ? '↳ ' : ''}
                {s.code}
              </Text>
            </Table.Td>
            <Table.Td>{s.product ? `${s.product.name}` : '—'}</Table.Td>
            <Table.Td>
              {s.directoryNumber && can('inventory:read') ? (
                <Anchor size="sm" onClick={() => navigate(`/lines/${s.directoryNumber}`)}>
                  {s.directoryNumber}
                </Anchor>
              ) : (
                (s.directoryNumber ?? (s.simIccid ? `SIM ${s.simIccid}` : '—'))
              )}
            </Table.Td>
            <Table.Td>
              <StatusBadge status={s.status} />
            </Table.Td>
            <Table.Td>{payer(s.payerId)}</Table.Td>
            <Table.Td>{user(s.userId)}</Table.Td>
            <Table.Td>{date(s.terminatedAt ?? s.activatedAt ?? s.createdAt)}</Table.Td>
            {(onStatus || onMove) && (
              <Table.Td>
                {s.status !== 'terminated' && (
                  <Menu position="bottom-end">
                    <Menu.Target>
                      <Button size="compact-xs" variant="subtle" aria-label={t('common.actions')}>
                        ⋯
                      </Button>
                    </Menu.Target>
                    <Menu.Dropdown>
                      {onStatus && (
                        <Menu.Item onClick={() => onStatus(s)}>{t('subscription.changeStatus')}</Menu.Item>
                      )}
                      {onMove && (
                        <Menu.Item onClick={() => onMove(s)}>{t('subscription.movePayer')}</Menu.Item>
                      )}
                    </Menu.Dropdown>
                  </Menu>
                )}
              </Table.Td>
            )}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function SubscriptionsPanel({
  view,
  subscriptions,
  canAdd,
}: {
  view: Customer360;
  subscriptions: Subscription[];
  canAdd: boolean;
}) {
  const { t } = useTranslation();
  const can = useCan();
  const write = can('customer:write');
  const [adding, setAdding] = useState(false);
  const [statusOf, setStatusOf] = useState<Subscription | null>(null);
  const [moving, setMoving] = useState<Subscription | null>(null);
  return (
    <Paper withBorder p="sm">
      {canAdd && write && (
        <Group justify="flex-end" mb="xs">
          <Button size="xs" onClick={() => setAdding(true)} data-testid="add-subscription">
            {t('subscription.add')}
          </Button>
        </Group>
      )}
      <SubscriptionsTable
        view={view}
        subscriptions={subscriptions}
        onStatus={write ? setStatusOf : undefined}
        onMove={write ? setMoving : undefined}
      />
      {adding && <AddSubscription view={view} onClose={() => setAdding(false)} />}
      {statusOf && <StatusModal s={statusOf} code={view.customer.code} onClose={() => setStatusOf(null)} />}
      {moving && <MovePayerModal s={moving} view={view} onClose={() => setMoving(null)} />}
    </Paper>
  );
}
