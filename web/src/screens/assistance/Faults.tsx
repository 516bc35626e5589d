import {
  Anchor,
  Badge,
  Checkbox,
  Group,
  NumberInput,
  Paper,
  Select,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
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
import type { Actor, Page } from '../../lib/types';
import { FAULT_STATUSES, type Fault } from './faults';

/**
 * Faults (trouble tickets) to follow up: by status, zone, line, the actor whose basket holds the
 * fault's open task, age and overdue; newest first, paged.
 */
export function Faults() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<string | null>('open');
  const [zone, setZone] = useState('');
  const [line, setLine] = useState('');
  const [overdue, setOverdue] = useState(false);
  const [actor, setActor] = useState<string | null>(null);
  const [age, setAge] = useState<number | string>('');
  const actors = useQuery({ queryKey: ['actors'], queryFn: () => get<Actor[]>('/api/v1/actors') });
  const olderThanHours = typeof age === 'number' && age > 0 ? age : undefined;
  const [z] = useDebouncedValue(zone.trim(), 300);
  const [l] = useDebouncedValue(line.replace(/\D/g, ''), 300);
  const pager = useCursor();
  const { reset } = pager;
  useEffect(() => reset(), [status, z, l, overdue, actor, olderThanHours, reset]);
  const lineOk = l === '' || l.length >= 4;
  const q = useQuery({
    queryKey: ['faults', status, z, l, overdue, actor, olderThanHours, pager.cursor],
    queryFn: () =>
      get<Page<Fault>>(
        `/api/v1/faults${qs({
          status,
          zone: z,
          line: lineOk ? l : undefined,
          overdue: overdue || undefined,
          actor,
          olderThanHours,
          limit: 25,
          cursor: pager.cursor,
        })}`,
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('nav.faults')}</Title>
        <Anchor size="sm" onClick={() => navigate('/assistance/stats')} data-testid="assistance-stats-link">
          {t('assistanceStats.link')}
        </Anchor>
      </Group>
      <Group mb="sm" align="flex-end" data-testid="fault-filters">
        <Select
          label={t('fault.status')}
          w={160}
          clearable
          placeholder={t('fault.allStatuses')}
          value={status}
          onChange={setStatus}
          data={FAULT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`, { defaultValue: s }) }))}
        />
        <TextInput
          label={t('fault.zone')}
          w={140}
          value={zone}
          onChange={(e) => setZone(e.currentTarget.value)}
        />
        <TextInput
          label={t('fault.line')}
          w={160}
          value={line}
          onChange={(e) => setLine(e.currentTarget.value)}
          error={lineOk ? undefined : t('fault.lineTooShort')}
        />
        <Select
          label={t('fault.actor')}
          w={180}
          clearable
          placeholder={t('fault.allActors')}
          value={actor}
          onChange={setActor}
          data={(actors.data ?? [])
            .filter((a) => a.kind === 'human')
            .map((a) => ({ value: a.code, label: a.name }))}
        />
        <NumberInput
          label={t('fault.olderThanHours')}
          w={150}
          min={0}
          max={24 * 3650}
          allowDecimal={false}
          value={age}
          onChange={setAge}
        />
        <Checkbox
          mb={8}
          label={t('fault.overdueOnly')}
          checked={overdue}
          onChange={(e) => setOverdue(e.currentTarget.checked)}
        />
      </Group>
      <QueryState query={q}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{t('fault.none')}</Empty>
          ) : (
            <>
              <Paper withBorder style={{ overflowX: 'auto' }}>
                <Table striped highlightOnHover data-testid="faults">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('fault.number')}</Table.Th>
                      <Table.Th>{t('fault.line')}</Table.Th>
                      <Table.Th>{t('fault.symptom')}</Table.Th>
                      <Table.Th>{t('fault.verdict')}</Table.Th>
                      <Table.Th>{t('fault.zone')}</Table.Th>
                      <Table.Th>{t('fault.reportedAt')}</Table.Th>
                      <Table.Th>{t('fault.dueAt')}</Table.Th>
                      <Table.Th>{t('fault.status')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {page.items.map((f) => (
                      <Table.Tr
                        key={f.id}
                        onClick={() => navigate(`/faults/${f.number}`)}
                        style={{ cursor: 'pointer' }}
                      >
                        <Table.Td ff="monospace">{f.number}</Table.Td>
                        <Table.Td>
                          <Anchor
                            size="sm"
                            onClick={(e) => {
                              e.stopPropagation();
                              navigate(`/lines/${f.lineId}`);
                            }}
                          >
                            {f.lineId}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{t(`fault.symptoms.${f.symptom}`, { defaultValue: f.symptom })}</Table.Td>
                        <Table.Td>
                          <Badge size="sm" variant="light" color="grape">
                            {t(`fault.verdicts.${f.diagnosis.verdict}`, {
                              defaultValue: f.diagnosis.verdict,
                            })}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{f.zone ?? '—'}</Table.Td>
                        <Table.Td>{dateTime(f.reportedAt)}</Table.Td>
                        <Table.Td>
                          <Text size="sm" c={f.overdue ? 'red' : undefined} fw={f.overdue ? 700 : undefined}>
                            {dateTime(f.dueAt)}
                            {f.overdue && ` · ${t('basket.overdue')}`}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <StatusBadge status={f.status} />
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
