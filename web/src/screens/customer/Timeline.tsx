import { Button, Code, Group, Paper, Text, Timeline as MTimeline } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Empty, ErrorAlert, Loading } from '../../components/States';
import { get, qs } from '../../lib/api';
import { dateTime } from '../../lib/format';
import type { Page, TimelineEvent } from '../../lib/types';

/** A short human line for an event's payload: what changed, without the whole JSON. */
function summary(e: TimelineEvent): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  if (p.changes && typeof p.changes === 'object') return Object.keys(p.changes).join(', ');
  const parts: string[] = [];
  for (const k of ['code', 'product', 'from', 'to', 'status', 'reason']) {
    const v = p[k];
    if (typeof v === 'string' || typeof v === 'number') parts.push(`${k}: ${v}`);
  }
  return parts.join(' · ');
}

export function Timeline({ code }: { code: string }) {
  const { t } = useTranslation();
  const q = useInfiniteQuery({
    queryKey: ['timeline', code],
    queryFn: ({ pageParam }) =>
      get<Page<TimelineEvent>>(
        `/api/v1/customers/${encodeURIComponent(code)}/events${qs({ limit: 25, cursor: pageParam })}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor,
  });
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorAlert error={q.error} />;
  const events = q.data.pages.flatMap((p) => p.items);
  if (events.length === 0) return <Empty />;
  return (
    <Paper withBorder p="md" data-testid="timeline">
      <MTimeline bulletSize={12} lineWidth={2}>
        {events.map((e) => (
          <MTimeline.Item
            key={e.id}
            title={
              <Group gap="xs">
                <Text size="sm" fw={600}>
                  {t(`events.${e.kind.replace(/\./g, '_')}`, { defaultValue: e.kind })}
                </Text>
                <Code>
                  {e.entityType} {e.entityId}
                </Code>
                {e.lineId && <Code>{e.lineId}</Code>}
              </Group>
            }
          >
            <Text size="xs" c="dimmed">
              {dateTime(e.occurredAt)} · {e.actor ?? '—'}
            </Text>
            {summary(e) && <Text size="xs">{summary(e)}</Text>}
          </MTimeline.Item>
        ))}
      </MTimeline>
      {q.hasNextPage && (
        <Button
          mt="sm"
          size="xs"
          variant="default"
          onClick={() => void q.fetchNextPage()}
          loading={q.isFetchingNextPage}
        >
          {t('common.more')}
        </Button>
      )}
    </Paper>
  );
}
