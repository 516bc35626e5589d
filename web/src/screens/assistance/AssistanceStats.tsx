import { Box, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { get, qs } from '../../lib/api';

interface Stats {
  since: string;
  perDay: ({ day: string } & Record<Series, number>)[];
  meanTimeToRepairHours: {
    overall: number | null;
    byProductKind: { productKind: string; faults: number; hours: number | null }[];
  };
  faultsByStatus: { status: string; n: number; overdue: number }[];
  workOrders: { team: string; status: string; n: number }[];
}

const SERIES = ['faults_reported', 'faults_resolved', 'work_orders', 'complaints', 'incidents'] as const;
type Series = (typeof SERIES)[number];
const COLORS: Record<Series, string> = {
  faults_reported: 'red.6',
  faults_resolved: 'teal.6',
  work_orders: 'blue.6',
  complaints: 'orange.6',
  incidents: 'grape.6',
};

/** Follow-up charts (issue 7): volumes per day and times to repair, from `GET /assistance/stats`. */
export function AssistanceStats() {
  const { t } = useTranslation();
  const [days, setDays] = useState('30');
  const q = useQuery({
    queryKey: ['assistance-stats', days],
    queryFn: () => get<Stats>(`/api/v1/assistance/stats${qs({ days })}`),
  });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('assistanceStats.title')}</Title>
        <SegmentedControl
          value={days}
          onChange={setDays}
          data={['7', '30', '90'].map((d) => ({
            value: d,
            label: t('assistanceStats.days', { count: Number(d) }),
          }))}
        />
      </Group>
      <QueryState query={q}>
        {(s) => {
          const max = Math.max(1, ...s.perDay.flatMap((d) => SERIES.map((k) => d[k] ?? 0)));
          return (
            <Stack data-testid="assistance-stats">
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('assistanceStats.volumes')}
                </Title>
                <Group gap="md" mb="sm">
                  {SERIES.map((k) => (
                    <Group key={k} gap={4}>
                      <Box w={10} h={10} bg={COLORS[k]} />
                      <Text size="xs">{t(`assistanceStats.series.${k}`)}</Text>
                    </Group>
                  ))}
                </Group>
                {s.perDay.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {t('assistanceStats.nothing')}
                  </Text>
                ) : (
                  <Table>
                    <Table.Tbody>
                      {s.perDay.map((d) => (
                        <Table.Tr key={d.day}>
                          <Table.Td w={100}>
                            <Text size="xs" ff="monospace">
                              {d.day}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            <Stack gap={2}>
                              {SERIES.filter((k) => (d[k] ?? 0) > 0).map((k) => (
                                <Group key={k} gap={6} wrap="nowrap">
                                  <Box h={8} w={`${(100 * (d[k] ?? 0)) / max}%`} miw={2} bg={COLORS[k]} />
                                  <Text size="xs">{d[k]}</Text>
                                </Group>
                              ))}
                            </Stack>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                )}
              </Paper>
              <SimpleGrid cols={{ base: 1, md: 3 }}>
                <Paper withBorder p="md">
                  <Title order={5} mb="sm">
                    {t('assistanceStats.mttr')}
                  </Title>
                  <Text size="xl" fw={700}>
                    {s.meanTimeToRepairHours.overall === null
                      ? '—'
                      : t('assistanceStats.hours', { hours: s.meanTimeToRepairHours.overall })}
                  </Text>
                  {s.meanTimeToRepairHours.byProductKind.map((r) => (
                    <Text key={r.productKind} size="sm">
                      {r.productKind}:{' '}
                      {r.hours === null ? '—' : t('assistanceStats.hours', { hours: r.hours })} ({r.faults})
                    </Text>
                  ))}
                </Paper>
                <Paper withBorder p="md">
                  <Title order={5} mb="sm">
                    {t('assistanceStats.faults')}
                  </Title>
                  {s.faultsByStatus.map((r) => (
                    <Text key={r.status} size="sm">
                      {t(`status.${r.status}`, { defaultValue: r.status })}: {r.n}
                      {r.overdue > 0 ? ` · ${t('assistanceStats.overdue', { count: r.overdue })}` : ''}
                    </Text>
                  ))}
                </Paper>
                <Paper withBorder p="md">
                  <Title order={5} mb="sm">
                    {t('assistanceStats.workOrders')}
                  </Title>
                  {s.workOrders.map((r) => (
                    <Text key={`${r.team}-${r.status}`} size="sm">
                      {r.team} · {t(`status.${r.status}`, { defaultValue: r.status })}: {r.n}
                    </Text>
                  ))}
                </Paper>
              </SimpleGrid>
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}
