import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  Progress,
  ScrollArea,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, post } from '../../lib/api';
import { dateTime, locale } from '../../lib/format';
import { useCan } from '../../lib/auth';
import { useErrorText } from '../../lib/form';
import { Pager, useCursor } from '../../components/Pager';

/** `GET /activation/audits/:id`: an element's lines against the records. */
export interface Audit {
  id: number;
  element: string;
  status: 'running' | 'done' | 'failed';
  repair: boolean;
  expected: number;
  checked: number;
  consistent: number;
  differences: number;
  repaired: number;
  byKind: Partial<Record<AuditKind, number>>;
  /** Differences "realign" would queue orders for. */
  repairable: number;
  error: string | null;
  /** What the audit could not look at (the HLR's list out of reach). */
  warning: string | null;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

const KINDS = [
  'missing',
  'state_differs',
  'number_differs',
  'port_differs',
  'unknown_on_element',
  'not_placeable',
] as const;
type AuditKind = (typeof KINDS)[number];
const KIND_COLOR: Record<AuditKind, string> = {
  missing: 'red',
  state_differs: 'orange',
  number_differs: 'orange',
  port_differs: 'orange',
  unknown_on_element: 'grape',
  not_placeable: 'gray',
};

interface AuditItem {
  id: number;
  lineId: string;
  kind: AuditKind;
  subscription: string | null;
  expected: Record<string, unknown> | null;
  actual: Record<string, unknown> | null;
  /** The server's sentence (English, as the CLI prints it): the screen words its own. */
  detail: string;
  orderIds: number[];
  /** Orders still to run on the line when the audit read it: the difference may settle alone. */
  ordersInFlight: number[];
  repairable: boolean;
  /** The operations that realign it: they say which part of the line differs. */
  repairs: string[];
}

/**
 * The network audit of one element: start one (with the repair queued at once, or not), follow
 * it, see what differs from the records by kind, realign what the records settle.
 */
export default function ElementAudit({ code }: { code: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const [repairNow, setRepairNow] = useState(false);
  const [picked, setPicked] = useState<number | null>(null);
  const audits = useQuery({
    queryKey: ['activation', 'audits', code],
    queryFn: () => get<Audit[]>(`/api/v1/activation/audits?element=${encodeURIComponent(code)}&limit=5`),
    // follow a running audit every second, else leave it
    refetchInterval: (q) => (q.state.data?.some((a) => a.status === 'running') ? 1000 : false),
  });
  const start = useMutation({
    mutationFn: () =>
      post<Audit>(`/api/v1/activation/elements/${encodeURIComponent(code)}/audits`, { repair: repairNow }),
    onSuccess: (a) => {
      setPicked(a.id);
      void qc.invalidateQueries({ queryKey: ['activation', 'audits', code] });
    },
  });
  const list = audits.data ?? [];
  const audit = list.find((a) => a.id === picked) ?? list[0];
  const running = list.some((a) => a.status === 'running');
  return (
    <Stack gap="sm" data-testid="element-audit">
      <Text size="sm" c="dimmed">
        {t('activation.audit.intro')}
      </Text>
      {can('activation:write') && (
        <Group gap="sm">
          <Button
            onClick={() => start.mutate()}
            loading={start.isPending}
            disabled={running}
            data-testid="start-audit"
          >
            {t('activation.audit.start')}
          </Button>
          <Checkbox
            label={t('activation.audit.repairNow')}
            checked={repairNow}
            onChange={(e) => setRepairNow(e.currentTarget.checked)}
            data-testid="audit-repair-now"
          />
        </Group>
      )}
      {start.isError && (
        <Text size="sm" c="red">
          {errorText(start.error)}
        </Text>
      )}
      {audits.isLoading && <Loader size="sm" />}
      {!audits.isLoading && list.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('activation.audit.none')}
        </Text>
      )}
      {list.length > 1 && (
        <Group gap={4}>
          {list.map((a) => (
            <Badge
              key={a.id}
              variant={a.id === audit?.id ? 'filled' : 'light'}
              color={a.status === 'failed' ? 'red' : a.differences ? 'orange' : 'green'}
              style={{ cursor: 'pointer' }}
              onClick={() => setPicked(a.id)}
            >
              {dateTime(a.startedAt)}
            </Badge>
          ))}
        </Group>
      )}
      {audit && <AuditResult key={audit.id} a={audit} />}
    </Stack>
  );
}

type T = (k: string, o?: Record<string, unknown>) => string;
const list = (v: unknown) => (Array.isArray(v) ? v.join(' ') : '');
const str = (v: unknown) =>
  typeof v === 'string' ? v : v === null || v === undefined ? '—' : JSON.stringify(v);

/** What the element holds, in words: a switch's line status, or the HLR's CS/PS access. */
function heldText(t: T, actual: Record<string, unknown> | null): string {
  const access = actual?.access as { cs?: boolean; ps?: boolean } | null | undefined;
  if (access)
    return t('activation.audit.access', {
      cs: t(access.cs ? 'activation.audit.accessOpen' : 'activation.audit.accessCut'),
      ps: t(access.ps ? 'activation.audit.accessOpen' : 'activation.audit.accessCut'),
    });
  return t(`activation.audit.lineStatus.${str(actual?.status)}`, { defaultValue: str(actual?.status) });
}

/** The difference in the screen's language, from what the records and the element said. */
function detailText(t: T, i: AuditItem): string {
  const e = i.expected ?? {};
  const a = i.actual ?? {};
  const mobile = 'imsi' in e || 'imsi' in a || 'iccid' in e;
  switch (i.kind) {
    case 'missing':
      return mobile
        ? t('activation.audit.detail_missing_mobile', { imsi: str(e.imsi) })
        : t('activation.audit.detail_missing_fixed', { en: str(e.en) });
    case 'state_differs': {
      const limited = e.limitation === 'limited' ? t('activation.audit.limited') : '';
      if (i.repairs.includes('fixed.barring'))
        return t('activation.audit.detail_barring', {
          actual: str(a.barring),
          expected: str(e.barring),
          why: limited,
        });
      if (i.repairs.includes('fixed.services'))
        return t('activation.audit.detail_services', {
          actual: list(a.services) || t('activation.audit.noService'),
          expected: list(e.services) || t('activation.audit.noService'),
        });
      return t('activation.audit.detail_state', {
        expected: t(`activation.audit.subscriptionStatus.${str(e.status)}`) + limited,
        actual: heldText(t, a),
      });
    }
    case 'number_differs':
      return t('activation.audit.detail_number', { actual: str(a.msisdn), expected: str(e.msisdn) });
    case 'port_differs':
      return t('activation.audit.detail_port', { actual: str(a.en), expected: str(e.en) });
    case 'unknown_on_element':
      // an HLR's subscriber: named by its IMSI (the number may be another line's)
      if (a.imsi)
        return i.subscription
          ? t('activation.audit.detail_unknown_imsi_sub', { imsi: str(a.imsi), code: i.subscription })
          : t('activation.audit.detail_unknown_imsi', { imsi: str(a.imsi) });
      return i.subscription
        ? t('activation.audit.detail_unknown_sub', { code: i.subscription })
        : t('activation.audit.detail_unknown');
    case 'not_placeable':
      return mobile
        ? e.iccid
          ? t('activation.audit.detail_no_card', { iccid: str(e.iccid) })
          : t('activation.audit.detail_no_sim')
        : t('activation.audit.detail_no_port');
  }
}

/**
 * A line the records do not know, removed from the element once switching has decided so (two
 * clicks: the audit never removes anything on its own word).
 */
function RemoveLine({ audit, item }: { audit: Audit; item: AuditItem }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const remove = useMutation({
    mutationFn: () => post<AuditItem>(`/api/v1/activation/audits/${audit.id}/items/${item.id}/remove`, {}),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['activation', 'audit-items', audit.id] }),
  });
  if (remove.isError)
    return (
      <Text size="xs" c="red">
        {errorText(remove.error)}
      </Text>
    );
  return confirm ? (
    <Button
      size="compact-xs"
      color="red"
      loading={remove.isPending}
      onClick={() => remove.mutate()}
      data-testid="audit-remove-confirm"
    >
      {t('activation.audit.removeConfirm')}
    </Button>
  ) : (
    <Button
      size="compact-xs"
      variant="light"
      color="red"
      onClick={() => setConfirm(true)}
      data-testid="audit-remove"
    >
      {t('activation.audit.remove')}
    </Button>
  );
}

function AuditResult({ a }: { a: Audit }) {
  const { t } = useTranslation();
  const can = useCan();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const [kind, setKind] = useState<AuditKind | null>(null);
  const pager = useCursor();
  const here = pager.cursor;
  const items = useQuery({
    queryKey: ['activation', 'audit-items', a.id, kind, here, a.checked, a.repaired],
    queryFn: () =>
      get<{ items: AuditItem[]; nextCursor?: string }>(
        `/api/v1/activation/audits/${a.id}/items?limit=50${kind ? `&kind=${kind}` : ''}${
          here ? `&cursor=${encodeURIComponent(here)}` : ''
        }`,
      ),
    placeholderData: keepPreviousData,
  });
  const repair = useMutation({
    mutationFn: () => post<Audit>(`/api/v1/activation/audits/${a.id}/repair`, {}),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['activation', 'audits', a.element] }),
  });
  const lineDiffs = a.checked - a.consistent;
  const pct = (n: number) => (a.checked ? (100 * n) / a.checked : 0);
  // only when realigning would queue something: a line unknown to the records is removed by hand
  const toRepair = a.status === 'done' && !a.repair && a.repaired === 0 && a.repairable > 0;
  return (
    <Stack gap="xs" data-testid="audit-result" data-status={a.status}>
      <Group justify="space-between">
        <Text size="sm" fw={600}>
          {a.status === 'running'
            ? t('activation.audit.running', { n: a.checked.toLocaleString(locale()) })
            : a.status === 'failed'
              ? t('activation.audit.failed')
              : t('activation.audit.done', { at: dateTime(a.finishedAt) })}
        </Text>
        <Text size="xs" c="dimmed">
          {t('activation.audit.by', { who: a.startedBy, at: dateTime(a.startedAt) })}
        </Text>
      </Group>
      {a.status === 'running' && <Progress value={100} animated size="sm" />}
      {a.error && (
        <Alert color="red" p="xs">
          {a.error}
        </Alert>
      )}
      {a.warning && (
        <Alert color="yellow" p="xs" data-testid="audit-warning">
          {a.warning}
        </Alert>
      )}
      {a.checked > 0 && (
        <>
          <Progress.Root size="lg">
            <Progress.Section value={pct(a.consistent)} color="green" />
            <Progress.Section value={pct(lineDiffs)} color="orange" />
          </Progress.Root>
          <Text size="sm" data-testid="audit-summary">
            {t('activation.audit.summary', {
              checked: a.checked.toLocaleString(locale()),
              consistent: a.consistent.toLocaleString(locale()),
              differences: a.differences.toLocaleString(locale()),
            })}
          </Text>
        </>
      )}
      <Group gap={6}>
        {KINDS.filter((k) => a.byKind[k]).map((k) => (
          <Badge
            key={k}
            color={KIND_COLOR[k]}
            variant={kind === k ? 'filled' : 'light'}
            style={{ cursor: 'pointer' }}
            onClick={() => {
              setKind(kind === k ? null : k);
              pager.reset();
            }}
            data-testid={`audit-kind-${k}`}
          >
            {t(`activation.audit.kinds.${k}`)} · {a.byKind[k]}
          </Badge>
        ))}
      </Group>
      {a.repaired > 0 && (
        <Text size="sm" c="green" data-testid="audit-repaired">
          {t('activation.audit.repaired', { n: a.repaired, ref: `AUDIT-${a.id}` })}
        </Text>
      )}
      {toRepair && can('activation:write') && (
        <Group>
          <Button
            color="orange"
            onClick={() => repair.mutate()}
            loading={repair.isPending}
            data-testid="audit-repair"
          >
            {t('activation.audit.repair')}
          </Button>
          <Text size="xs" c="dimmed">
            {t('activation.audit.repairHint')}
          </Text>
        </Group>
      )}
      {repair.isError && (
        <Text size="sm" c="red">
          {errorText(repair.error)}
        </Text>
      )}
      {(items.data?.items.length ?? 0) > 0 && (
        <ScrollArea>
          <Table striped highlightOnHover fz="sm" data-testid="audit-items">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('activation.audit.line')}</Table.Th>
                <Table.Th>{t('activation.audit.difference')}</Table.Th>
                <Table.Th>{t('activation.audit.subscription')}</Table.Th>
                <Table.Th>{t('activation.audit.detail')}</Table.Th>
                <Table.Th>{t('activation.audit.orders')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.data!.items.map((i) => (
                <Table.Tr key={i.id} data-testid="audit-item">
                  <Table.Td ff="monospace">{i.lineId}</Table.Td>
                  <Table.Td>
                    <Badge color={KIND_COLOR[i.kind]} variant="light" size="sm">
                      {t(`activation.audit.kinds.${i.kind}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td ff="monospace">{i.subscription ?? '—'}</Table.Td>
                  <Table.Td title={i.detail}>
                    {detailText(t, i)}
                    {i.ordersInFlight.length > 0 && (
                      <Text size="xs" c="orange.8" data-testid="audit-in-flight">
                        {t('activation.audit.inFlight', {
                          count: i.ordersInFlight.length,
                          orders: i.ordersInFlight.join(', '),
                        })}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ff="monospace">
                    {i.orderIds.length ? (
                      i.orderIds.join(', ')
                    ) : i.repairable ? (
                      '—'
                    ) : i.kind === 'unknown_on_element' && can('activation:write') ? (
                      <RemoveLine audit={a} item={i} />
                    ) : (
                      t('activation.audit.byHand')
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
      <Pager pager={pager} nextCursor={items.data?.nextCursor} />
    </Stack>
  );
}
