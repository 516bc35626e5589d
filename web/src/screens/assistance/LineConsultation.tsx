import { Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { get, qs } from '../../lib/api';
import { dateTime, money } from '../../lib/format';
import type { Page } from '../../lib/types';
import { StatusBadge } from '../../components/StatusBadge';
import type { LineStatus } from './faults';

interface HistoryItem {
  id: number;
  at: string;
  kind: string;
  entityType: string;
  entityId: string;
}

/** What the line consultation (`GET /api/v1/lines/:number`) returns that this panel shows. */
export interface Consultation {
  status: LineStatus;
  history: HistoryItem[];
  historyNextCursor?: string;
  consumption: {
    readings: { meterIndex: number; source: string; at: string }[];
    deltas: { from: string; to: string; pulses: number }[];
  };
  account: {
    balance: { receivable: number; depositsHeld: number; openInvoices: number; currency: string };
    invoices: {
      invoiceId: number;
      description: string;
      total: number;
      paid: number;
      status: string;
      issuedAt: string;
    }[];
    entriesShown: number;
    entriesTotal: number;
  };
}

/**
 * The rest of the line consultation beside the technical file: the history of events on the line
 * (older pages on demand), its consumption (meter readings and the pulses between them) and the
 * payer's account (balance, last invoices). Everything comes from the one consultation call.
 */
export function LineConsultation({ number, view }: { number: string; view: Consultation }) {
  const { t } = useTranslation();
  const [older, setOlder] = useState<HistoryItem[]>([]);
  const [cursor, setCursor] = useState(view.historyNextCursor);
  const [loading, setLoading] = useState(false);
  const more = async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await get<Page<HistoryItem>>(
        `/api/v1/lines/${encodeURIComponent(number)}/events${qs({ cursor, limit: 50 })}`,
      );
      setOlder((o) => [...o, ...page.items]);
      setCursor(page.nextCursor);
    } finally {
      setLoading(false);
    }
  };
  const { balance, invoices } = view.account;
  const readings = [...view.consumption.readings].reverse().slice(0, 12);
  const pulsesTo = new Map(view.consumption.deltas.map((d) => [d.to, d.pulses]));
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} data-testid="line-consultation">
      <Paper withBorder p="md">
        <Title order={5} mb="sm">
          {t('consultation.history')}
        </Title>
        <Table striped>
          <Table.Tbody>
            {[...view.history, ...older].map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>
                  <Text size="xs">{dateTime(e.at)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{e.kind}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {e.entityType} {e.entityId}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {cursor && (
          <Button variant="subtle" size="xs" mt="xs" loading={loading} onClick={() => void more()}>
            {t('consultation.older')}
          </Button>
        )}
      </Paper>
      <Stack>
        <Paper withBorder p="md">
          <Title order={5} mb="sm">
            {t('consultation.account')}
          </Title>
          <Group gap="lg" mb="xs">
            <Text size="sm">
              {t('consultation.receivable')}: <b>{money(balance.receivable, balance.currency)}</b>
            </Text>
            <Text size="sm">
              {t('consultation.deposits')}: {money(balance.depositsHeld, balance.currency)}
            </Text>
            <Text size="sm">
              {t('consultation.openInvoices')}: {balance.openInvoices}
            </Text>
          </Group>
          {invoices.slice(0, 6).map((i) => (
            <Group key={i.invoiceId} gap="xs">
              <Text size="xs">{dateTime(i.issuedAt)}</Text>
              <Text size="sm">{i.description}</Text>
              <Text size="sm" ff="monospace">
                {money(i.total, balance.currency)}
              </Text>
              <StatusBadge status={i.status} />
            </Group>
          ))}
          {view.account.entriesShown < view.account.entriesTotal && (
            <Text size="xs" c="dimmed" mt="xs">
              {t('consultation.lastEntries', {
                shown: view.account.entriesShown,
                total: view.account.entriesTotal,
              })}
            </Text>
          )}
        </Paper>
        <Paper withBorder p="md">
          <Title order={5} mb="sm">
            {t('consultation.consumption')}
          </Title>
          {readings.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('consultation.noReadings')}
            </Text>
          ) : (
            <Table>
              <Table.Tbody>
                {readings.map((r) => (
                  <Table.Tr key={r.at}>
                    <Table.Td>
                      <Text size="xs">{dateTime(r.at)}</Text>
                    </Table.Td>
                    <Table.Td ff="monospace">{r.meterIndex}</Table.Td>
                    <Table.Td>
                      <Text size="xs" c="dimmed">
                        {pulsesTo.has(r.at) ? `+${pulsesTo.get(r.at)}` : ''}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Paper>
      </Stack>
    </SimpleGrid>
  );
}
