import { Anchor, Badge, Group, Paper, Table, Tabs, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { useCan, useMe } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import type { Actor, Page } from '../../lib/types';
import { TaskDrawer } from './TaskDrawer';
import { isOverdue, subjectPath, type Task } from './tasks';

function BasketTable({ url, onOpen }: { url: string; onOpen: (t: Task) => void }) {
  const { t } = useTranslation();
  const pager = useCursor();
  const q = useQuery({
    queryKey: ['basket', url, pager.cursor],
    queryFn: () => get<Page<Task>>(`${url}${qs({ limit: 25, cursor: pager.cursor })}`),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  return (
    <QueryState query={q}>
      {(page) =>
        page.items.length === 0 ? (
          <Empty>{t('basket.empty')}</Empty>
        ) : (
          <>
            <Paper withBorder>
              <Table striped highlightOnHover data-testid="basket">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('basket.priority')}</Table.Th>
                    <Table.Th>{t('basket.task')}</Table.Th>
                    <Table.Th>{t('basket.request')}</Table.Th>
                    <Table.Th>{t('basket.line')}</Table.Th>
                    <Table.Th>{t('basket.due')}</Table.Th>
                    <Table.Th>{t('basket.status')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((task) => (
                    <Table.Tr key={task.id} onClick={() => onOpen(task)} style={{ cursor: 'pointer' }}>
                      <Table.Td>
                        <Badge color={task.priority > 0 ? 'red' : 'gray'} variant="light" size="sm">
                          {task.priority}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {task.label}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {task.scenario} · {task.actor ?? '—'}
                        </Text>
                        {/* why it is here, read from the list: a step fallen out (the element's
                            refusal), or what holds it — not only once opened */}
                        {(task.lastError ?? task.holdCause) && (
                          <Text
                            size="xs"
                            c={task.lastError ? 'red' : 'orange.8'}
                            lineClamp={1}
                            title={task.lastError ?? task.holdCause ?? undefined}
                            data-testid="task-why"
                          >
                            {task.lastError ?? task.holdCause}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Anchor
                          size="sm"
                          onClick={(e) => {
                            e.stopPropagation();
                            navigate(subjectPath(task));
                          }}
                        >
                          {task.subjectRef}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{task.lineId ?? '—'}</Table.Td>
                      <Table.Td>
                        <Text
                          size="sm"
                          c={isOverdue(task) ? 'red' : undefined}
                          fw={isOverdue(task) ? 700 : undefined}
                        >
                          {dateTime(task.dueAt)}
                          {isOverdue(task) && ` · ${t('basket.overdue')}`}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={task.status} />
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
  );
}

/** The back office: my tasks, and the basket of each actor (service) I belong to. */
export function Baskets() {
  const { t } = useTranslation();
  const me = useMe();
  const can = useCan();
  const supervisor = can('task:supervise');
  const actors = useQuery({ queryKey: ['actors'], queryFn: () => get<Actor[]>('/api/v1/actors') });
  const mine = supervisor
    ? (actors.data ?? []).filter((a) => a.kind === 'human').map((a) => a.code)
    : me.actors;
  const [tab, setTab] = useState<string>('me');
  const [open, setOpen] = useState<Task | null>(null);
  const name = (code: string) => actors.data?.find((a) => a.code === code)?.name ?? code;
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('nav.baskets')}</Title>
      </Group>
      <Tabs value={tab} onChange={(v) => v && setTab(v)} keepMounted={false}>
        <Tabs.List mb="sm">
          <Tabs.Tab value="me">{t('basket.mine')}</Tabs.Tab>
          {mine.map((a) => (
            <Tabs.Tab key={a} value={a}>
              {name(a)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="me">
          <BasketTable url="/api/v1/baskets/me" onOpen={setOpen} />
        </Tabs.Panel>
        {mine.map((a) => (
          <Tabs.Panel key={a} value={a}>
            <BasketTable url={`/api/v1/baskets/actors/${encodeURIComponent(a)}`} onOpen={setOpen} />
          </Tabs.Panel>
        ))}
      </Tabs>
      {open && <TaskDrawer taskId={open.id} onClose={() => setOpen(null)} />}
    </>
  );
}
