import '@mantine/charts/styles.css';
import { BarChart, LineChart } from '@mantine/charts';
import { Button, Group, SegmentedControl, Stack, Text, UnstyledButton } from '@mantine/core';
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ReferenceArea } from 'recharts';
import { QueryState } from '../../components/States';
import { get, qs } from '../../lib/api';
import { dateTime, duration, locale } from '../../lib/format';
import type { Page } from '../../lib/types';
import type { ElementActivity as Activity, Command } from './activation';
import { CommandsTable } from './CommandsTable';

/**
 * An element's commands over time from the command journal (every automaton's, not only this
 * process's counters): `spark` is the card's last 24 hours, a click away from `full`, the drawer's
 * chart with its window (1 hour to a week), the commands' times and the outages in the window.
 * Loaded on its own (React.lazy): the charting library stays out of the first page's bundle.
 */
export default function ElementActivity({
  code,
  mode,
  onOpen,
}: {
  code: string;
  mode: 'spark' | 'full';
  onOpen?: () => void;
}) {
  return mode === 'spark' ? <Spark code={code} onOpen={onOpen} /> : <Full code={code} />;
}

const SERIES = [
  { name: 'ok', color: 'teal.6' },
  { name: 'refused', color: 'orange.6' },
  { name: 'transportErrors', color: 'red.6' },
] as const;

function useActivity(code: string, hours: number) {
  return useQuery({
    queryKey: ['activation-activity', code, hours],
    queryFn: () =>
      get<Activity>(`/api/v1/activation/elements/${encodeURIComponent(code)}/activity?hours=${hours}`),
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
}

const n = (x: number) => x.toLocaleString(locale());
/** A bar's width: minutes under an hour, else hours. */
const barWidth = (m: number) => (m < 60 ? `${m} min` : `${m / 60} h`);

/** A bucket's label on the axis: its time, with the day when the window spans days. */
function label(iso: string, hours: number): string {
  return new Date(iso).toLocaleString(
    locale(),
    hours > 24
      ? { weekday: 'short', hour: '2-digit', minute: '2-digit' }
      : { hour: '2-digit', minute: '2-digit' },
  );
}

function Spark({ code, onOpen }: { code: string; onOpen?: () => void }) {
  const { t } = useTranslation();
  const q = useActivity(code, 24);
  const a = q.data;
  if (!a) return null;
  const total = a.totals.ok + a.totals.refused + a.totals.transportErrors;
  const data = a.buckets.map((b) => ({ ...b, label: label(b.at, 24) }));
  return (
    <UnstyledButton
      onClick={onOpen}
      w="100%"
      mt={6}
      title={t('activation.activity.open')}
      data-testid="activity-spark"
    >
      <Group justify="space-between" gap={4}>
        <Text size="xs" c="dimmed">
          {t('activation.activity.last24h')}
        </Text>
        <Text size="xs" c={a.totals.refused + a.totals.transportErrors > 0 ? 'orange' : 'dimmed'}>
          {total === 0
            ? t('activation.activity.none')
            : t('activation.activity.summary', {
                count: total,
                n: n(total),
                refused: n(a.totals.refused),
                errors: n(a.totals.transportErrors),
              })}
        </Text>
      </Group>
      <BarChart
        h={44}
        data={data}
        dataKey="label"
        type="stacked"
        series={SERIES.map((s) => ({ ...s, label: t(`activation.activity.${s.name}`) }))}
        withXAxis={false}
        withYAxis={false}
        gridAxis="none"
        withTooltip={false}
        barProps={{ isAnimationActive: false }}
      />
    </UnstyledButton>
  );
}

const WINDOWS = [1, 6, 24, 168];

function Full({ code }: { code: string }) {
  const { t } = useTranslation();
  const [hours, setHours] = useState(24);
  // the bar clicked: its bucket's commands are listed under the charts
  const [picked, setPicked] = useState<string | null>(null);
  const q = useActivity(code, hours);
  return (
    <Stack gap="sm">
      <SegmentedControl
        value={String(hours)}
        onChange={(v) => {
          setHours(Number(v));
          setPicked(null);
        }}
        data={WINDOWS.map((h) => ({ value: String(h), label: t(`activation.activity.window.${h}`) }))}
        data-testid="activity-window"
      />
      <QueryState query={q}>
        {(a) => {
          const data = a.buckets.map((b) => ({ ...b, label: label(b.at, hours) }));
          // the outages in the window, from the bucket each began in to the one it ended in
          const bucketOf = (iso: string) => {
            const i = a.buckets.findLastIndex((b) => b.at <= iso);
            return data[Math.max(0, i)]!.label;
          };
          const areas = a.outages.map((o, i) => (
            <ReferenceArea
              key={i}
              x1={bucketOf(o.since)}
              x2={o.until ? bucketOf(o.until) : data[data.length - 1]!.label}
              yAxisId="left"
              fill="var(--mantine-color-red-2)"
              fillOpacity={0.6}
              ifOverflow="extendDomain"
            />
          ));
          return (
            <>
              <Text size="sm" data-testid="activity-totals">
                {t('activation.activity.totals', {
                  ok: n(a.totals.ok),
                  refused: n(a.totals.refused),
                  errors: n(a.totals.transportErrors),
                  p95: a.totals.p95Ms === null ? '—' : `${n(a.totals.p95Ms)} ms`,
                  bar: barWidth(a.bucketMinutes),
                })}
              </Text>
              <Text fw={600} size="sm">
                {t('activation.activity.commandsTitle')}
              </Text>
              <BarChart
                h={220}
                data={data}
                dataKey="label"
                type="stacked"
                series={SERIES.map((s) => ({ ...s, label: t(`activation.activity.${s.name}`) }))}
                withLegend
                tickLine="y"
                yAxisProps={{ allowDecimals: false }}
                barProps={{
                  isAnimationActive: false,
                  cursor: 'pointer',
                  // a bar's own click: its bucket's commands are listed under the charts
                  onClick: (bar: { payload?: { at?: unknown } }) => {
                    if (typeof bar?.payload?.at === 'string') setPicked(bar.payload.at);
                  },
                }}
                data-testid="activity-commands"
              >
                {areas}
              </BarChart>
              <Text fw={600} size="sm">
                {t('activation.activity.timesTitle')}
              </Text>
              <LineChart
                h={180}
                data={data}
                dataKey="label"
                unit=" ms"
                connectNulls={false}
                // a lone bucket between empty ones is a point, not a line
                dotProps={{ r: 2 }}
                activeDotProps={{ r: 3 }}
                withLegend
                tickLine="y"
                series={[
                  { name: 'p50Ms', label: t('activation.activity.p50'), color: 'blue.6' },
                  { name: 'p95Ms', label: t('activation.activity.p95'), color: 'grape.6' },
                ]}
                lineProps={{ isAnimationActive: false }}
              >
                {areas}
              </LineChart>
              {picked === null ? (
                <Text size="xs" c="dimmed">
                  {t('activation.activity.pickHint')}
                </Text>
              ) : (
                <BucketCommands code={code} at={picked} minutes={a.bucketMinutes} />
              )}
              {a.outages.length > 0 && (
                <Stack gap={2} data-testid="activity-outages">
                  <Text fw={600} size="sm">
                    {t('activation.activity.outagesTitle')}
                  </Text>
                  {a.outages.map((o, i) => (
                    <Text size="sm" key={i}>
                      {o.until
                        ? t('activation.outageWas', {
                            at: dateTime(o.since),
                            duration: duration(o.durationMs),
                          })
                        : t('activation.outageSince', { at: dateTime(o.since) })}
                      {o.error ? ` — ${o.error}` : ''}
                    </Text>
                  ))}
                </Stack>
              )}
            </>
          );
        }}
      </QueryState>
    </Stack>
  );
}

const OUTCOMES = ['all', 'refused', 'transport_error', 'ok'] as const;

/** The commands of one bar (bucket), newest first, one outcome at a time, 50 by 50. */
function BucketCommands({ code, at, minutes }: { code: string; at: string; minutes: number }) {
  const { t } = useTranslation();
  const [outcome, setOutcome] = useState<(typeof OUTCOMES)[number]>('all');
  const until = new Date(Date.parse(at) + minutes * 60_000).toISOString();
  const q = useInfiniteQuery({
    queryKey: ['activation-bucket', code, at, minutes, outcome],
    queryFn: ({ pageParam }) =>
      get<Page<Command>>(
        `/api/v1/activation/elements/${encodeURIComponent(code)}/journal${qs({
          since: at,
          until,
          outcome: outcome === 'all' ? undefined : outcome,
          limit: 50,
          cursor: pageParam,
        })}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor,
  });
  const commands = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack gap="xs" data-testid="bucket-commands">
      <Group justify="space-between" wrap="wrap">
        <Text fw={600} size="sm">
          {t('activation.activity.bucketTitle', {
            from: new Date(at).toLocaleString(locale(), { dateStyle: 'short', timeStyle: 'short' }),
            to: new Date(until).toLocaleTimeString(locale(), { timeStyle: 'short' }),
          })}
        </Text>
        <SegmentedControl
          size="xs"
          value={outcome}
          onChange={(v) => setOutcome(v as (typeof OUTCOMES)[number])}
          data={OUTCOMES.map((o) => ({ value: o, label: t(`activation.activity.outcome.${o}`) }))}
          data-testid="bucket-outcome"
        />
      </Group>
      {q.isPending ? null : commands.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('activation.noCommand')}
        </Text>
      ) : (
        <CommandsTable commands={commands} withOrder testId="bucket-journal" />
      )}
      {q.hasNextPage && (
        <Button
          variant="default"
          size="xs"
          onClick={() => void q.fetchNextPage()}
          loading={q.isFetchingNextPage}
        >
          {t('activation.activity.more')}
        </Button>
      )}
    </Stack>
  );
}
