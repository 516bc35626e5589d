import { Badge, Group, Paper, Progress, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { get } from '../../lib/api';
import { dateTime } from '../../lib/format';

interface Summary {
  cause: string;
  zone: string;
  elementType: string;
  elementCode: string;
  count: number;
  oldestDays: number;
}
interface Pending {
  requestRef: string;
  kind: string;
  cause: string;
  elementCode: string;
  detail: string;
  zone: string;
  status: string;
  createdAt: string;
  ageDays: number;
}
interface Pool {
  code: string;
  product: string;
  site: string | null;
  quarantineDays: number;
  counts: Record<'free' | 'reserved' | 'assigned' | 'quarantine' | 'golden', number>;
  ranges: { first: string; last: string }[];
}

/** Requests waiting for plant, by cause, zone and age, drawn as bars. */
export function PendingScreen() {
  const { t } = useTranslation();
  const summary = useQuery({
    queryKey: ['inv', 'pending-summary'],
    queryFn: () => get<Summary[]>('/api/v1/inventory/pending/summary'),
  });
  const list = useQuery({
    queryKey: ['inv', 'pending'],
    queryFn: () => get<Pending[]>('/api/v1/inventory/pending?limit=50'),
  });
  return (
    <>
      <Title order={5} mb="xs">
        {t('inventory.pendingByCause')}
      </Title>
      <QueryState query={summary}>
        {(rows) => {
          if (rows.length === 0) return <Empty />;
          const max = Math.max(...rows.map((r) => r.count));
          return (
            <Paper withBorder p="md" mb="md" data-testid="pending-chart">
              {rows.map((r) => (
                <Group key={`${r.cause}-${r.zone}-${r.elementCode}`} wrap="nowrap" mb={6}>
                  <div style={{ width: 320 }}>
                    <Text size="sm" fw={500}>
                      {t(`inventory.causes.${r.cause}`, { defaultValue: r.cause })}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {r.zone} · {r.elementCode}
                    </Text>
                  </div>
                  <Progress
                    value={(100 * r.count) / max}
                    size="xl"
                    style={{ flex: 1 }}
                    color={r.cause === 'saturation' ? 'orange' : 'red'}
                  />
                  <Text size="sm" w={40} ta="right" fw={700}>
                    {r.count}
                  </Text>
                  <Badge size="sm" variant="light" color={r.oldestDays > 30 ? 'red' : 'gray'} w={90}>
                    {t('inventory.days', { n: r.oldestDays })}
                  </Badge>
                </Group>
              ))}
            </Paper>
          );
        }}
      </QueryState>
      <QueryState query={list}>
        {(rows) =>
          rows.length === 0 ? null : (
            <Paper withBorder>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('basket.request')}</Table.Th>
                    <Table.Th>{t('inventory.cause')}</Table.Th>
                    <Table.Th>{t('inventory.zone')}</Table.Th>
                    <Table.Th>{t('inventory.since')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr key={r.requestRef}>
                      <Table.Td ff="monospace">{r.requestRef}</Table.Td>
                      <Table.Td>
                        <Text size="sm">{t(`inventory.causes.${r.cause}`, { defaultValue: r.cause })}</Text>
                        <Text size="xs" c="dimmed">
                          {r.detail}
                        </Text>
                      </Table.Td>
                      <Table.Td>{r.zone}</Table.Td>
                      <Table.Td>
                        {dateTime(r.createdAt)} ({t('inventory.days', { n: r.ageDays })})
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
    </>
  );
}

/** Number pools: their ranges and how many numbers are free, reserved, assigned, in quarantine, golden. */
export function Pools() {
  const { t } = useTranslation();
  const pools = useQuery({
    queryKey: ['inv', 'pools'],
    queryFn: () => get<Pool[]>('/api/v1/inventory/number-pools'),
  });
  return (
    <QueryState query={pools}>
      {(rows) =>
        rows.length === 0 ? (
          <Empty />
        ) : (
          <Paper withBorder>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('inventory.pool')}</Table.Th>
                  <Table.Th>{t('subscription.product')}</Table.Th>
                  <Table.Th>{t('inventory.ranges')}</Table.Th>
                  {(['free', 'reserved', 'assigned', 'quarantine', 'golden'] as const).map((k) => (
                    <Table.Th key={k}>{t(`inventory.numberStates.${k}`)}</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((p) => (
                  <Table.Tr key={p.code}>
                    <Table.Td ff="monospace">{p.code}</Table.Td>
                    <Table.Td>
                      {p.product}
                      {p.site ? ` · ${p.site}` : ''}
                    </Table.Td>
                    <Table.Td ff="monospace">
                      {p.ranges.map((r) => `${r.first}–${r.last}`).join(', ')}
                    </Table.Td>
                    {(['free', 'reserved', 'assigned', 'quarantine', 'golden'] as const).map((k) => (
                      <Table.Td key={k}>{p.counts[k]}</Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Paper>
        )
      }
    </QueryState>
  );
}
