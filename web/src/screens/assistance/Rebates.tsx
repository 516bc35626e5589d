import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Grid,
  Group,
  Modal,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime, money } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Page } from '../../lib/types';
import { REBATE_STATUSES, type Rebate } from './care';
import { RebateDecision } from './CareParts';

/**
 * Rebates and their approval queue: a supervisor sees the pending ones and approves or rejects
 * those the API says are theirs to decide (right for the amount, not asked by themselves). The
 * queue is filtered by the server (`decidableBy=me`), so each page is full.
 */
export function Rebates() {
  const { t } = useTranslation();
  const can = useCan();
  const [status, setStatus] = useState<string | null>('pending');
  const [level, setLevel] = useState<string | null>(null);
  const [mine, setMine] = useState(false);
  const [creating, setCreating] = useState(false);
  const pager = useCursor();
  const { reset } = pager;
  useEffect(() => reset(), [status, level, mine, reset]);
  const q = useQuery({
    queryKey: ['rebates', status, level, mine, pager.cursor],
    queryFn: () =>
      get<Page<Rebate>>(
        `/api/v1/rebates${qs({ status, level, decidableBy: mine ? 'me' : null, limit: 25, cursor: pager.cursor })}`,
      ),
    placeholderData: keepPreviousData,
  });
  const approver = can('rebate:approve_small') || can('rebate:approve_large');
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('rebate.title')}</Title>
        {can('rebate:write') && (
          <Button size="xs" onClick={() => setCreating(true)} data-testid="new-rebate">
            {t('rebate.new')}
          </Button>
        )}
      </Group>
      <Group mb="sm" align="flex-end" data-testid="rebate-filters">
        <Select
          label={t('rebate.status')}
          w={160}
          clearable
          placeholder={t('care.all')}
          value={status}
          onChange={setStatus}
          data={REBATE_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`, { defaultValue: s }) }))}
        />
        <Select
          label={t('rebate.level')}
          w={180}
          clearable
          placeholder={t('care.all')}
          value={level}
          onChange={setLevel}
          data={(['small', 'large'] as const).map((l) => ({ value: l, label: t(`rebate.levels.${l}`) }))}
        />
        {approver && (
          <Checkbox
            mb={8}
            label={t('rebate.queue')}
            checked={mine}
            onChange={(e) => setMine(e.currentTarget.checked)}
            data-testid="rebate-queue"
          />
        )}
      </Group>
      <QueryState query={q}>
        {(page) => {
          const items = page.items;
          return items.length === 0 ? (
            <Empty>{t('rebate.none')}</Empty>
          ) : (
            <>
              <Paper withBorder style={{ overflowX: 'auto' }}>
                <Table striped data-testid="rebates">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('rebate.number')}</Table.Th>
                      <Table.Th>{t('care.line')}</Table.Th>
                      <Table.Th>{t('rebate.origin')}</Table.Th>
                      <Table.Th>{t('rebate.reason')}</Table.Th>
                      <Table.Th>{t('rebate.amount')}</Table.Th>
                      <Table.Th>{t('rebate.level')}</Table.Th>
                      <Table.Th>{t('rebate.requestedAt')}</Table.Th>
                      <Table.Th>{t('rebate.status')}</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((r) => (
                      <Table.Tr key={r.id} data-rebate={r.number}>
                        <Table.Td ff="monospace">{r.number}</Table.Td>
                        <Table.Td>
                          {r.lineId ? (
                            <Anchor size="sm" onClick={() => navigate(`/lines/${r.lineId}`)}>
                              {r.lineId}
                            </Anchor>
                          ) : (
                            <Anchor size="sm" onClick={() => navigate(`/customers/${r.customerId}`)}>
                              {t('care.customer')}
                            </Anchor>
                          )}
                        </Table.Td>
                        <Table.Td>
                          {r.complaintNumber && (
                            <Anchor size="sm" onClick={() => navigate(`/complaints/${r.complaintNumber}`)}>
                              {r.complaintNumber}
                            </Anchor>
                          )}
                          {r.faultNumber && (
                            <Anchor size="sm" onClick={() => navigate(`/faults/${r.faultNumber}`)}>
                              {r.faultNumber}
                            </Anchor>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" lineClamp={2} maw={260}>
                            {r.reason}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" ff="monospace" fw={600}>
                            {money(r.amount, r.currency)}
                          </Text>
                          {r.method === 'outage' && (
                            <Text size="xs" c="dimmed">
                              {t('rebate.outage', {
                                minutes: r.outageMinutes,
                                price: money(r.monthlyPrice, r.currency),
                              })}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>{t(`rebate.levels.${r.approvalLevel}`)}</Table.Td>
                        <Table.Td>{dateTime(r.requestedAt)}</Table.Td>
                        <Table.Td>
                          <StatusBadge status={r.status} />
                        </Table.Td>
                        <Table.Td>
                          <RebateDecision r={r} />
                          {r.decisionNote && (
                            <Text size="xs" c="dimmed">
                              {r.decisionNote}
                            </Text>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Paper>
              <Pager pager={pager} nextCursor={page.nextCursor} />
            </>
          );
        }}
      </QueryState>
      {creating && <RebateForm onClose={() => setCreating(false)} />}
    </>
  );
}

/** A rebate asked by an agent: a fixed amount, or the outage duration on the line's monthly price. */
export function RebateForm({ line, onClose }: { line?: string; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [mode, setMode] = useState<'fixed' | 'outage'>('fixed');
  const form = useApiForm({
    line: line ?? '',
    customer: '',
    fault: '',
    reason: '',
    amount: '',
    outageMinutes: '',
  });
  const v = form.values;
  const save = useMutation({
    mutationFn: () =>
      post<Rebate>('/api/v1/rebates', {
        ...(v.line?.trim() ? { line: v.line.trim() } : {}),
        ...(v.customer?.trim() ? { customer: v.customer.trim() } : {}),
        ...(v.fault?.trim() ? { fault: v.fault.trim() } : {}),
        reason: v.reason?.trim(),
        ...(mode === 'fixed' && v.amount ? { amount: Number(v.amount) } : {}),
        ...(mode === 'outage' && v.outageMinutes ? { outageMinutes: Number(v.outageMinutes) } : {}),
      }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['rebates'] });
      notifications.show({ color: 'green', message: t('rebate.requested', { number: r.number }) });
      onClose();
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} size="lg" title={t('rebate.new')}>
      <form
        noValidate
        data-testid="rebate-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (form.require(mode === 'fixed' ? ['reason', 'amount'] : ['reason'])) save.mutate();
        }}
      >
        <Grid>
          <Grid.Col span={6}>
            <TextInput
              label={t('rebate.line')}
              value={v.line}
              readOnly={!!line}
              onChange={(e) => form.set('line', e.currentTarget.value)}
              error={form.err('line')}
            />
          </Grid.Col>
          <Grid.Col span={6}>
            <TextInput
              label={t('rebate.customer')}
              value={v.customer}
              onChange={(e) => form.set('customer', e.currentTarget.value)}
              error={form.err('customer')}
            />
          </Grid.Col>
          <Grid.Col span={12}>
            <TextInput
              label={t('rebate.reason')}
              withAsterisk
              value={v.reason}
              onChange={(e) => form.set('reason', e.currentTarget.value)}
              error={form.err('reason')}
            />
          </Grid.Col>
          <Grid.Col span={12}>
            <SegmentedControl
              value={mode}
              onChange={(m) => setMode(m as 'fixed' | 'outage')}
              data={[
                { value: 'fixed', label: t('rebate.byAmount') },
                { value: 'outage', label: t('rebate.byOutage') },
              ]}
            />
          </Grid.Col>
          {mode === 'fixed' ? (
            <Grid.Col span={6}>
              <NumberInput
                label={t('rebate.fixedAmount')}
                withAsterisk
                min={1}
                allowDecimal={false}
                thousandSeparator=" "
                value={v.amount}
                onChange={(n) => form.set('amount', n === '' ? '' : String(n))}
                error={form.err('amount')}
              />
            </Grid.Col>
          ) : (
            <>
              <Grid.Col span={6}>
                <NumberInput
                  label={t('rebate.outageMinutes')}
                  min={1}
                  allowDecimal={false}
                  value={v.outageMinutes}
                  onChange={(n) => form.set('outageMinutes', n === '' ? '' : String(n))}
                  error={form.err('outageMinutes')}
                />
              </Grid.Col>
              <Grid.Col span={6}>
                <TextInput
                  label={t('rebate.fault')}
                  value={v.fault}
                  onChange={(e) => form.set('fault', e.currentTarget.value)}
                  error={form.err('fault')}
                />
              </Grid.Col>
            </>
          )}
        </Grid>
        {form.general && (
          <Alert color="red" mt="sm" data-testid="rebate-form-error">
            {form.general}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="save-rebate">
            {t('rebate.save')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
