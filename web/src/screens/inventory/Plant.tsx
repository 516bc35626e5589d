import {
  Badge,
  Group,
  Paper,
  Progress,
  SimpleGrid,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { get, qs } from '../../lib/api';

type Counts = Record<'free' | 'reserved' | 'in_service' | 'faulty' | 'out_of_order', number>;
const STATES = ['in_service', 'reserved', 'faulty', 'out_of_order', 'free'] as const;
const COLORS: Record<(typeof STATES)[number], string> = {
  in_service: 'blue',
  reserved: 'yellow',
  faulty: 'red',
  out_of_order: 'gray',
  free: 'green',
};

/** Occupancy as one coloured bar: in service, reserved, faulty, out of order, free. */
export function Occupancy({ counts }: { counts: Counts }) {
  const { t } = useTranslation();
  const total = STATES.reduce((n, s) => n + (counts[s] ?? 0), 0);
  if (total === 0) return <Text size="xs">—</Text>;
  return (
    <Tooltip label={STATES.map((s) => `${t(`inventory.states.${s}`)}: ${counts[s] ?? 0}`).join(' · ')}>
      <div>
        <Progress.Root size="lg">
          {STATES.map((s) =>
            counts[s] ? (
              <Progress.Section key={s} value={(100 * counts[s]) / total} color={COLORS[s]} />
            ) : null,
          )}
        </Progress.Root>
        <Text size="xs" c="dimmed">
          {t('inventory.freeOf', { free: counts.free ?? 0, total })}
        </Text>
      </div>
    </Tooltip>
  );
}

interface Site {
  code: string;
  name: string;
  locality: string;
  district: string | null;
  ports: Counts;
}
interface Cp {
  code: string;
  name: string;
  sdf: string;
  locality: string;
  district: string | null;
  pairs: Counts;
}
interface BaseStation {
  code: string;
  name: string;
  site: string;
  capacity: number;
  used: number;
  status: string;
}

/** The fixed and radio plant: exchanges with their ports, concentration points with their pairs. */
export function Plant() {
  const { t } = useTranslation();
  const [locality, setLocality] = useState('');
  const [loc] = useDebouncedValue(locality.trim(), 250);
  const sites = useQuery({
    queryKey: ['inv', 'sites'],
    queryFn: () => get<Site[]>('/api/v1/inventory/sites'),
  });
  const cps = useQuery({
    queryKey: ['inv', 'cps', loc],
    queryFn: () => get<Cp[]>(`/api/v1/inventory/cps${qs({ locality: loc })}`),
    placeholderData: keepPreviousData,
  });
  const bts = useQuery({
    queryKey: ['inv', 'bts'],
    queryFn: () => get<BaseStation[]>('/api/v1/inventory/base-stations'),
  });
  return (
    <>
      <Title order={5} mb="xs">
        {t('inventory.sites')}
      </Title>
      <QueryState query={sites}>
        {(list) =>
          list.length === 0 ? (
            <Empty />
          ) : (
            <SimpleGrid cols={{ base: 2, lg: 4 }} mb="md">
              {list.map((s) => (
                <Paper withBorder p="sm" key={s.code}>
                  <Group justify="space-between" mb={4}>
                    <Text fw={600} size="sm">
                      {s.name}
                    </Text>
                    <Badge variant="outline" size="sm">
                      {s.code}
                    </Badge>
                  </Group>
                  <Text size="xs" c="dimmed" mb={4}>
                    {[s.district, s.locality].filter(Boolean).join(', ')} · {t('inventory.ports')}
                  </Text>
                  <Occupancy counts={s.ports} />
                </Paper>
              ))}
            </SimpleGrid>
          )
        }
      </QueryState>
      <Group justify="space-between" mb="xs">
        <Title order={5}>{t('inventory.cps')}</Title>
        <TextInput
          size="xs"
          placeholder={t('inventory.locality')}
          value={locality}
          onChange={(e) => setLocality(e.currentTarget.value)}
        />
      </Group>
      <QueryState query={cps}>
        {(list) =>
          list.length === 0 ? (
            <Empty />
          ) : (
            <Paper withBorder mb="md">
              <Table striped data-testid="cps">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('inventory.cp')}</Table.Th>
                    <Table.Th>{t('inventory.sdf')}</Table.Th>
                    <Table.Th>{t('inventory.zone')}</Table.Th>
                    <Table.Th w="35%">{t('inventory.pairs')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((c) => (
                    <Table.Tr key={c.code}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {c.name}
                        </Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {c.code}
                        </Text>
                      </Table.Td>
                      <Table.Td ff="monospace">{c.sdf}</Table.Td>
                      <Table.Td>{[c.district, c.locality].filter(Boolean).join(', ')}</Table.Td>
                      <Table.Td>
                        <Occupancy counts={c.pairs} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      <Title order={5} mb="xs">
        {t('inventory.baseStations')}
      </Title>
      <QueryState query={bts}>
        {(list) =>
          list.length === 0 ? (
            <Empty />
          ) : (
            <Paper withBorder>
              <Table striped>
                <Table.Tbody>
                  {list.map((b) => (
                    <Table.Tr key={b.code}>
                      <Table.Td>
                        <Text size="sm">{b.name}</Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {b.code} · {b.site}
                        </Text>
                      </Table.Td>
                      <Table.Td w="35%">
                        <Progress value={b.capacity ? (100 * b.used) / b.capacity : 0} size="lg" />
                        <Text size="xs" c="dimmed">
                          {b.used} / {b.capacity}
                        </Text>
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
