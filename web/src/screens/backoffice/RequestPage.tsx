import { Anchor, Badge, Grid, Group, Paper, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import type { Page } from '../../lib/types';
import { RequestScenario } from './RequestScenario';
import { TaskDrawer } from './TaskDrawer';
import { isOverdue, reasonsOf, type RequestView, type ServiceRequest, type Task } from './tasks';
import { elementsQuery } from '../activation/activation';

const COLOR: Record<string, string> = {
  done: 'green',
  completed: 'green',
  claimed: 'blue',
  ready: 'yellow',
  held: 'orange',
  failed: 'red',
  cancelled: 'gray',
};

/**
 * A step waiting for its activation order says on what: the order and its element, and, when that
 * element is unreachable, since when — the agent tells the customer the line comes when it is back
 * (the order goes through by itself), instead of a bare "waiting".
 */
function ActivationWait({ task, data }: { task: Task; data: Record<string, unknown> | undefined }) {
  const { t } = useTranslation();
  const can = useCan();
  const note = (data?.activation as Record<string, { orderId?: number; element?: string }> | undefined)?.[
    task.node
  ];
  const waits = task.status === 'waiting' && !!note?.element && note.orderId !== undefined;
  const elements = useQuery({
    ...elementsQuery,
    enabled: waits && can('activation:read'),
    refetchInterval: 10_000,
  });
  if (!waits) return null;
  const health = elements.data?.find((e) => e.code === note.element)?.health;
  return health?.circuit === 'open' ? (
    <Text size="xs" c="orange.8" mt={2} data-testid="activation-wait">
      {t('request.elementDown', {
        order: note.orderId,
        element: note.element,
        since: dateTime(health.openedAt),
      })}
    </Text>
  ) : (
    <Text size="xs" c="dimmed" mt={2} data-testid="activation-wait">
      {t('request.orderPending', { order: note.orderId, element: note.element })}
    </Text>
  );
}

/** A service request: its state, its tasks as a timeline (who, where, why) and its documents. */
export function RequestPage({ refCode }: { refCode: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const [open, setOpen] = useState<number | null>(null);
  const q = useQuery({
    queryKey: ['request', refCode],
    queryFn: () => get<RequestView>(`/api/v1/requests/${encodeURIComponent(refCode)}`),
    refetchInterval: 10_000,
  });
  return (
    <QueryState query={q}>
      {(r) => (
        <Stack data-testid="request-page">
          <Group gap="sm">
            <Title order={3}>
              {t('request.title')} {r.number}
            </Title>
            <StatusBadge status={r.status} />
            <Badge variant="outline" color="gray">
              {t(`request.kinds.${r.kind}`, { defaultValue: r.kind })}
            </Badge>
          </Group>
          <Text size="sm" c="dimmed">
            {r.scenario} v{r.workflow.scenarioVersion} · {t('request.created')} {dateTime(r.createdAt)}
            {r.closedAt ? ` · ${t('request.closed')} ${dateTime(r.closedAt)}` : ''}
            {r.lineId ? ` · ${r.lineId}` : ''} ·{' '}
            <Anchor size="sm" onClick={() => navigate(`/customers/${r.customerId}`)}>
              {t('request.customer')}
            </Anchor>
          </Text>
          {r.reason && <Text size="sm">{r.reason}</Text>}
          <Grid>
            <Grid.Col span={{ base: 12, md: 7 }}>
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('request.tasks')}
                </Title>
                {r.workflow.tasks.length === 0 ? (
                  <Empty />
                ) : (
                  <Timeline bulletSize={14} lineWidth={2}>
                    {r.workflow.tasks.map((k) => (
                      <Timeline.Item
                        key={k.id}
                        color={COLOR[k.status] ?? 'gray'}
                        title={
                          <Group gap="xs">
                            <Text
                              size="sm"
                              fw={600}
                              style={{ cursor: can('task:work') ? 'pointer' : undefined }}
                              onClick={() => can('task:work') && setOpen(k.id)}
                            >
                              {k.label}
                            </Text>
                            <StatusBadge status={k.status} />
                            {k.outcome && (
                              <Badge size="xs" variant="outline">
                                {k.outcome}
                              </Badge>
                            )}
                            {isOverdue(k) && (
                              <Badge size="xs" color="red">
                                {t('basket.overdue')}
                              </Badge>
                            )}
                          </Group>
                        }
                      >
                        <Text size="xs" c="dimmed">
                          {k.kind} · {k.actor ?? '—'} · {dateTime(k.createdAt)}
                          {k.completedAt ? ` → ${dateTime(k.completedAt)}` : ''}
                        </Text>
                        {reasonsOf(k.explanation).length > 0 && (
                          <Text size="xs" mt={2}>
                            {reasonsOf(k.explanation).join(' · ')}
                          </Text>
                        )}
                        {k.lastError && (
                          <Text size="xs" c="red" mt={2}>
                            {k.lastError}
                          </Text>
                        )}
                        <ActivationWait task={k} data={r.workflow.data} />
                      </Timeline.Item>
                    ))}
                  </Timeline>
                )}
              </Paper>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5 }}>
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('request.documents')}
                </Title>
                {r.documents.length === 0 ? (
                  <Empty />
                ) : (
                  r.documents.map((d) => (
                    <Group key={d.id} justify="space-between">
                      <Anchor
                        href={`/api/v1/requests/${r.number}/documents/${d.id}`}
                        target="_blank"
                        size="sm"
                      >
                        {d.title}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {dateTime(d.createdAt)}
                      </Text>
                    </Group>
                  ))
                )}
              </Paper>
            </Grid.Col>
          </Grid>
          <RequestScenario workflow={r.workflow} />
          {open && <TaskDrawer taskId={open} onClose={() => setOpen(null)} />}
        </Stack>
      )}
    </QueryState>
  );
}

/** The customer's service requests, for the 360°. */
export function CustomerRequests({ code }: { code: string }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['requests', code],
    queryFn: () => get<Page<ServiceRequest>>(`/api/v1/requests${qs({ customer: code, limit: 50 })}`),
  });
  return (
    <QueryState query={q}>
      {(page) =>
        page.items.length === 0 ? (
          <Empty />
        ) : (
          <Paper withBorder>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('request.number')}</Table.Th>
                  <Table.Th>{t('request.kind')}</Table.Th>
                  <Table.Th>{t('basket.line')}</Table.Th>
                  <Table.Th>{t('basket.status')}</Table.Th>
                  <Table.Th>{t('request.created')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {page.items.map((r) => (
                  <Table.Tr
                    key={r.id}
                    onClick={() => navigate(`/requests/${r.number}`)}
                    style={{ cursor: 'pointer' }}
                  >
                    <Table.Td ff="monospace">{r.number}</Table.Td>
                    <Table.Td>{t(`request.kinds.${r.kind}`, { defaultValue: r.kind })}</Table.Td>
                    <Table.Td>{r.lineId ?? '—'}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={r.status} />
                    </Table.Td>
                    <Table.Td>{dateTime(r.createdAt)}</Table.Td>
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
