import { Anchor, Group, NumberInput, Paper, Select, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { dateTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import type { Page } from '../../lib/types';
import { WORK_ORDER_STATUSES, WORK_ORDER_TEAMS, type WorkOrder } from './care';

/** Work orders per team, zone, status and age: a team's list of jobs, the oldest outstanding visible. */
export function WorkOrders() {
  const { t } = useTranslation();
  const [team, setTeam] = useState<string | null>(null);
  const [zone, setZone] = useState('');
  const [status, setStatus] = useState<string | null>('issued');
  const [age, setAge] = useState<number | string>('');
  const olderThanHours = typeof age === 'number' && age > 0 ? age : undefined;
  const [z] = useDebouncedValue(zone.trim(), 300);
  const pager = useCursor();
  const { reset } = pager;
  useEffect(() => reset(), [team, z, status, olderThanHours, reset]);
  const q = useQuery({
    queryKey: ['work-orders', team, z, status, olderThanHours, pager.cursor],
    queryFn: () =>
      get<Page<WorkOrder>>(
        `/api/v1/work-orders${qs({ team, zone: z, status, olderThanHours, limit: 25, cursor: pager.cursor })}`,
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <Title order={3} mb="sm">
        {t('care.nav.workOrders')}
      </Title>
      <Group mb="sm" align="flex-end" data-testid="work-order-filters">
        <Select
          label={t('workOrder.team')}
          w={180}
          clearable
          placeholder={t('care.all')}
          value={team}
          onChange={setTeam}
          data={WORK_ORDER_TEAMS.map((x) => ({ value: x, label: t(`workOrder.teams.${x}`) }))}
        />
        <TextInput
          label={t('workOrder.zone')}
          w={140}
          value={zone}
          onChange={(e) => setZone(e.currentTarget.value)}
        />
        <Select
          label={t('workOrder.status')}
          w={160}
          clearable
          placeholder={t('care.all')}
          value={status}
          onChange={setStatus}
          data={WORK_ORDER_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`, { defaultValue: s }) }))}
        />
        <NumberInput
          label={t('care.olderThanHours')}
          w={170}
          min={0}
          max={24 * 3650}
          allowDecimal={false}
          value={age}
          onChange={setAge}
        />
      </Group>
      <QueryState query={q}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{t('workOrder.none')}</Empty>
          ) : (
            <>
              <Paper withBorder style={{ overflowX: 'auto' }}>
                <Table striped highlightOnHover data-testid="work-orders-list">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('workOrder.number')}</Table.Th>
                      <Table.Th>{t('workOrder.team')}</Table.Th>
                      <Table.Th>{t('workOrder.zone')}</Table.Th>
                      <Table.Th>{t('workOrder.for')}</Table.Th>
                      <Table.Th>{t('care.line')}</Table.Th>
                      <Table.Th>{t('workOrder.issuedAt')}</Table.Th>
                      <Table.Th>{t('workOrder.age')}</Table.Th>
                      <Table.Th>{t('workOrder.status')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {page.items.map((w) => (
                      <Table.Tr
                        key={w.id}
                        onClick={() => navigate(`/work-orders/${w.number}`)}
                        style={{ cursor: 'pointer' }}
                      >
                        <Table.Td ff="monospace">{w.number}</Table.Td>
                        <Table.Td>{t(`workOrder.teams.${w.team}`, { defaultValue: w.team })}</Table.Td>
                        <Table.Td>{w.zone ?? '—'}</Table.Td>
                        <Table.Td ff="monospace">{w.faultNumber ?? w.incidentNumber ?? '—'}</Table.Td>
                        <Table.Td>
                          {w.lineId ? (
                            <Anchor
                              size="sm"
                              onClick={(e) => {
                                e.stopPropagation();
                                navigate(`/lines/${w.lineId}`);
                              }}
                            >
                              {w.lineId}
                            </Anchor>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                        <Table.Td>{dateTime(w.issuedAt)}</Table.Td>
                        <Table.Td>
                          <Text size="sm">{t('workOrder.ageHours', { hours: w.ageHours })}</Text>
                        </Table.Td>
                        <Table.Td>
                          <StatusBadge status={w.status} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Paper>
              <Pager pager={pager} nextCursor={page.nextCursor} />
            </>
          )
        }
      </QueryState>
    </>
  );
}
