import { Paper, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { dateTime, locale } from '../../lib/format';
import type { Command } from './activation';

/** A command's time to the second: an activity bar's commands are minutes apart at most. */
function withSeconds(iso: string): string {
  return new Date(iso).toLocaleString(locale(), {
    dateStyle: 'short',
    timeStyle: 'medium',
  });
}

/**
 * Commands of the journal as the element saw them: command, reply, outcome, time taken — an order's
 * (in the order it sent them) or an activity bar's (with the line and the order of each).
 */
export function CommandsTable({
  commands,
  withOrder = false,
  testId,
}: {
  commands: Command[];
  withOrder?: boolean;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <Paper withBorder style={{ overflowX: 'auto' }}>
      <Table data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('activation.sentAt')}</Table.Th>
            {withOrder && <Table.Th>{t('activation.line')}</Table.Th>}
            <Table.Th>{t('activation.command')}</Table.Th>
            <Table.Th>{t('activation.reply')}</Table.Th>
            <Table.Th>{t('activation.outcome')}</Table.Th>
            <Table.Th>{t('activation.duration')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {commands.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {withOrder ? withSeconds(c.sentAt) : dateTime(c.sentAt)}
              </Table.Td>
              {withOrder && (
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Text span ff="monospace" size="sm">
                    {c.lineId ?? '—'}
                  </Text>
                  {c.orderId !== null && (
                    <Text size="xs" c="dimmed">
                      {t('activation.order', { id: c.orderId })}
                    </Text>
                  )}
                </Table.Td>
              )}
              <Table.Td ff="monospace" fz="xs" style={{ wordBreak: 'break-all' }}>
                {c.command}
              </Table.Td>
              <Table.Td ff="monospace" fz="xs" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
                {c.reply ?? '—'}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Text
                  span
                  size="xs"
                  fw={600}
                  c={c.outcome === 'ok' ? 'green' : c.outcome === 'refused' ? 'orange' : 'red'}
                >
                  {t(`activation.outcomes.${c.outcome}`)}
                </Text>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{c.durationMs.toFixed(1)} ms</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
