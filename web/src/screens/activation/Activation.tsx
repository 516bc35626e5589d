import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Code,
  Drawer,
  Group,
  Modal,
  Paper,
  PasswordInput,
  Popover,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { api, get, post, qs } from '../../lib/api';
import { download } from '../../lib/transfer';
import { CommandsTable } from './CommandsTable';
import { useCan } from '../../lib/auth';
import { count, dateTime, duration } from '../../lib/format';
import { useApiForm, useErrorText } from '../../lib/form';
import { navigate, useLocation } from '../../lib/router';
import type { Page } from '../../lib/types';
import {
  ORDER_STATUSES,
  type ActivationOrder,
  type Command,
  elementsQuery,
  type NetworkElement,
  type ReplayReport,
} from './activation';

// the charting library is loaded with the first card's chart, not with the application
const ElementActivity = lazy(() => import('./ElementActivity'));
const ElementAudit = lazy(() => import('./ElementAudit'));

/**
 * The switching service's screen: the network elements' health and queues (refreshed every few
 * seconds), the activation orders — the refused ones first, to be put right and replayed — and each
 * order's command journal. `?line=<number>` lists one line's orders (linked from the line view),
 * `?element=<code>` an element's refused orders left to handle (linked from its card).
 */
export function Activation() {
  const { t } = useTranslation();
  const { query } = useLocation();
  const lineParam = query.get('line') ?? '';
  // an element card's "to handle" link: that element's refused orders left to handle
  const elementParam = query.get('element');
  const elements = useQuery({
    ...elementsQuery,
    refetchInterval: 5000,
  });
  return (
    <>
      <Title order={3} mb="sm">
        {t('activation.title')}
      </Title>
      <Title order={5} mb="xs">
        {t('activation.elements')}
      </Title>
      <QueryState query={elements}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t('activation.noElement')}</Empty>
          ) : (
            <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }} mb="lg" data-testid="elements">
              {list.map((e) => (
                <ElementCard key={e.code} e={e} />
              ))}
            </SimpleGrid>
          )
        }
      </QueryState>
      <Orders
        key={`${lineParam}|${elementParam ?? ''}`}
        initialLine={lineParam}
        initialElement={elementParam}
        elements={elements.data?.map((e) => e.code) ?? []}
      />
    </>
  );
}

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Group justify="space-between" gap="xs" wrap="nowrap">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="sm" ta="right">
        {children}
      </Text>
    </Group>
  );
}

function ElementCard({ e }: { e: NetworkElement }) {
  const { t } = useTranslation();
  const can = useCan();
  const [editing, setEditing] = useState(false);
  const [outages, setOutages] = useState(false);
  const [activity, setActivity] = useState(false);
  const [audit, setAudit] = useState(false);
  const h = e.health;
  return (
    <Paper withBorder p="sm" data-testid={`element-${e.code}`}>
      {editing && <ElementForm e={e} onClose={() => setEditing(false)} />}
      <Drawer
        opened={outages}
        onClose={() => setOutages(false)}
        position="right"
        size="lg"
        title={t('activation.outagesOf', { code: e.code })}
      >
        {outages && <Outages code={e.code} />}
      </Drawer>
      <Drawer
        opened={activity}
        onClose={() => setActivity(false)}
        position="right"
        size="xl"
        title={t('activation.activity.title', { code: e.code })}
      >
        {activity && (
          <Suspense fallback={null}>
            <ElementActivity code={e.code} mode="full" />
          </Suspense>
        )}
      </Drawer>
      <Drawer
        opened={audit}
        onClose={() => setAudit(false)}
        position="right"
        size="xl"
        title={t('activation.audit.title', { code: e.code })}
      >
        {audit && (
          <Suspense fallback={null}>
            <ElementAudit code={e.code} />
          </Suspense>
        )}
      </Drawer>
      <Group justify="space-between" mb={4} wrap="nowrap">
        <div>
          <Text fw={600} ff="monospace">
            {e.code}
          </Text>
          <Text size="xs" c="dimmed">
            {e.name} · {t(`activation.kinds.${e.kind}`)}
            {e.isDefault ? ` · ${t('activation.byDefault')}` : ''} · {e.host}:{e.port}
          </Text>
        </div>
        {!e.enabled ? (
          <Badge color="gray" variant="light" style={{ flexShrink: 0 }}>
            {t('activation.disabled')}
          </Badge>
        ) : h ? (
          <Badge
            color={h.circuit === 'closed' ? 'green' : 'red'}
            variant="filled"
            style={{ flexShrink: 0 }}
            data-testid="circuit"
          >
            {t(`activation.circuit.${h.circuit}`)}
          </Badge>
        ) : (
          <Badge color="gray" variant="light" style={{ flexShrink: 0 }}>
            {t('activation.notLoaded')}
          </Badge>
        )}
      </Group>
      {h?.circuit === 'open' && (
        <Alert color="red" p="xs" mb="xs">
          <Text size="sm">{t('activation.openSince', { at: dateTime(h.openedAt) })}</Text>
        </Alert>
      )}
      <Stack gap={2}>
        <Stat label={t('activation.toHandle')}>
          {e.toHandle > 0 ? (
            <Anchor
              size="sm"
              c="orange"
              fw={600}
              onClick={() => navigate(`/activation?element=${encodeURIComponent(e.code)}`)}
              data-testid="to-handle"
            >
              {count(e.toHandle)}
            </Anchor>
          ) : (
            <span data-testid="to-handle">0</span>
          )}
        </Stat>
        <Stat label={t('activation.lastOutage')}>
          {e.lastOutage ? (
            <Anchor
              size="sm"
              c="inherit"
              title={e.lastOutage.error ?? undefined}
              onClick={() => setOutages(true)}
              data-testid="last-outage"
            >
              {outageText(t, e.lastOutage)}
            </Anchor>
          ) : (
            <span data-testid="last-outage">{t('activation.noOutage')}</span>
          )}
        </Stat>
        <Stat label={t('activation.audit.last')}>
          <Anchor
            size="sm"
            c={
              !e.lastAudit
                ? 'dimmed'
                : e.lastAudit.status === 'failed'
                  ? 'red'
                  : e.lastAudit.status === 'done' && e.lastAudit.differences === e.lastAudit.repaired
                    ? 'green'
                    : e.lastAudit.status === 'done'
                      ? 'orange'
                      : 'inherit'
            }
            onClick={() => setAudit(true)}
            data-testid="last-audit"
          >
            {lastAuditText(t, e.lastAudit)}
          </Anchor>
        </Stat>
        <Stat label={t('activation.openOrders')}>
          <span data-testid="open-orders">
            {e.queue.pending ?? 0} / {e.queue.running ?? 0}
          </span>
        </Stat>
        {h && (
          <>
            <Stat label={t('activation.connections')}>
              {t('activation.connectionsValue', {
                busy: h.busyConnections,
                open: h.connections,
                pool: e.poolSize,
              })}
            </Stat>
            <Stat label={`${t('activation.inFlight')} · ${t('activation.queued')}`}>
              {h.inFlight} · {h.queued}
              {h.waiting > 0 ? ` · ${t('activation.waiting')} ${h.waiting}` : ''}
            </Stat>
            <Stat label={t('activation.commands')}>
              <span data-testid="commands-sent">{count(h.commandsSent)}</span>
            </Stat>
            <Stat label={`${t('activation.refusals')} · ${t('activation.transportErrors')}`}>
              <Text span size="sm" c={h.refusals > 0 ? 'orange' : undefined}>
                {h.refusals}
              </Text>{' '}
              ·{' '}
              <Text span size="sm" c={h.transportErrors > 0 ? 'red' : undefined}>
                {h.transportErrors}
              </Text>
            </Stat>
            <Stat label={t('activation.latency')}>
              {h.meanLatencyMs === null ? '—' : `${count(h.meanLatencyMs)} ms`}
            </Stat>
          </>
        )}
        <Stat label={t('activation.throttle')}>
          {e.ratePerSecond > 0
            ? t('activation.perSecond', { n: e.ratePerSecond })
            : t('activation.unlimited')}
        </Stat>
        {h?.lastError &&
          (h.circuit === 'open' ? (
            <Text size="xs" c="red" lineClamp={2} title={h.lastError} data-testid="last-error">
              {t('activation.lastError')} : {h.lastError}
            </Text>
          ) : (
            // the element answers again: its last error is history, said with its time, not in red
            <Text size="xs" c="dimmed" lineClamp={2} title={h.lastError} data-testid="last-error">
              {t('activation.lastErrorRecovered', { at: dateTime(h.lastErrorAt) })} : {h.lastError}
            </Text>
          ))}
      </Stack>
      <Suspense fallback={null}>
        <ElementActivity code={e.code} mode="spark" onOpen={() => setActivity(true)} />
      </Suspense>
      {(can('activation:write') || can('activation:admin')) && (
        <Group justify="flex-end" mt="xs" gap="xs">
          {can('activation:write') && e.enabled && <ProbeButton code={e.code} />}
          {e.enabled && (
            <Button
              size="xs"
              variant="light"
              color="grape"
              onClick={() => setAudit(true)}
              data-testid="open-audit"
            >
              {t('activation.audit.open')}
            </Button>
          )}
          {can('activation:admin') && (
            <Button size="xs" variant="default" onClick={() => setEditing(true)} data-testid="edit-element">
              {t('activation.edit')}
            </Button>
          )}
        </Group>
      )}
    </Paper>
  );
}

function lastAuditText(
  t: (k: string, o?: Record<string, unknown>) => string,
  a: NetworkElement['lastAudit'],
): string {
  if (!a) return t('activation.audit.never');
  if (a.status === 'running') return t('activation.audit.cardRunning');
  if (a.status === 'failed') return t('activation.audit.cardFailed', { at: dateTime(a.startedAt) });
  if (a.differences === 0) return t('activation.audit.cardClean', { at: dateTime(a.finishedAt) });
  return a.repaired > 0
    ? t('activation.audit.cardRepaired', {
        count: a.differences,
        repaired: a.repaired,
        at: dateTime(a.finishedAt),
      })
    : t('activation.audit.cardDifferences', { count: a.differences, at: dateTime(a.finishedAt) });
}

interface ProbeResult {
  reachable: boolean;
  ms: number | null;
  error: string | null;
}

/**
 * Whether the element answers now, from the server (a connection of its own): what switching
 * checks after putting an element right, before replaying its refused orders.
 */
function ProbeButton({ code }: { code: string }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const probe = useMutation({
    mutationFn: () => post<ProbeResult>(`/api/v1/activation/elements/${encodeURIComponent(code)}/probe`, {}),
  });
  const r = probe.data;
  return (
    <>
      {probe.isError && (
        <Text size="xs" c="red" data-testid="probe-result">
          {errorText(probe.error)}
        </Text>
      )}
      {r && !probe.isPending && (
        <Text
          size="xs"
          c={r.reachable ? 'green' : 'red'}
          data-testid="probe-result"
          title={r.error ?? undefined}
        >
          {r.reachable
            ? t('activation.probeOk', { ms: r.ms })
            : t('activation.probeFailed', { error: r.error })}
        </Text>
      )}
      <Button
        size="xs"
        variant="light"
        loading={probe.isPending}
        onClick={() => probe.mutate()}
        data-testid="probe-element"
      >
        {t('activation.probe')}
      </Button>
    </>
  );
}

const NUMBERS = ['port', 'ratePerSecond', 'poolSize', 'pipeline', 'timeoutMs'] as const;

/**
 * An element's settings (activation:admin): address, throttle, pool, pipeline, timeout, enabled,
 * default. A switch's login and password are kept unless typed (the password is never shown).
 */
type Outage = NonNullable<NetworkElement['lastOutage']>;

function outageText(t: (k: string, o?: Record<string, unknown>) => string, o: Outage): string {
  return o.until
    ? t('activation.outageWas', { at: dateTime(o.since), duration: duration(o.durationMs) })
    : t('activation.outageSince', { at: dateTime(o.since) });
}

/** An element's outages as the automata journaled them, newest first. */
function Outages({ code }: { code: string }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['activation-outages', code],
    queryFn: () => get<Outage[]>(`/api/v1/activation/elements/${encodeURIComponent(code)}/outages?limit=50`),
  });
  return (
    <QueryState query={q}>
      {(list) =>
        list.length === 0 ? (
          <Empty>{t('activation.noOutage')}</Empty>
        ) : (
          <Table striped data-testid="outages">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('activation.outageFrom')}</Table.Th>
                <Table.Th>{t('activation.outageUntil')}</Table.Th>
                <Table.Th>{t('activation.duration')}</Table.Th>
                <Table.Th>{t('activation.error')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((o, i) => (
                <Table.Tr key={`${o.since}-${o.seenBy ?? ''}-${i}`}>
                  <Table.Td>{dateTime(o.since)}</Table.Td>
                  <Table.Td>{o.until ? dateTime(o.until) : t('activation.stillDown')}</Table.Td>
                  <Table.Td>{duration(o.durationMs)}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{o.error ?? ''}</Text>
                    {o.seenBy && (
                      <Text size="xs" c="dimmed">
                        {t('activation.seenBy', { by: o.seenBy })}
                      </Text>
                    )}
                    {o.closedBy && (
                      <Text size="xs" c="dimmed" data-testid="outage-closed-by">
                        {t(o.takenOver ? 'activation.takenOver' : 'activation.closedAtStart', {
                          by: o.closedBy,
                        })}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )
      }
    </QueryState>
  );
}

/** The VTY port as typed: empty is the default (null), digits a number, anything else as is. */
const vtyPortValue = (v: string): number | string | null =>
  v.trim() === '' ? null : /^[0-9]+$/.test(v.trim()) ? Number(v.trim()) : v.trim();

function ElementForm({ e, onClose }: { e: NetworkElement; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [enabled, setEnabled] = useState(e.enabled);
  const [isDefault, setIsDefault] = useState(e.isDefault);
  const f = useApiForm({
    name: e.name,
    host: e.host,
    port: String(e.port),
    ratePerSecond: String(e.ratePerSecond),
    poolSize: String(e.poolSize),
    pipeline: String(e.pipeline),
    timeoutMs: String(e.timeoutMs),
    vtyPort: e.vtyPort === null ? '' : String(e.vtyPort),
    username: '',
    password: '',
  });
  const save = useMutation({
    mutationFn: () =>
      api<NetworkElement>('PUT', `/api/v1/activation/elements/${e.code}`, {
        kind: e.kind,
        name: f.values.name?.trim(),
        host: f.values.host?.trim(),
        ...Object.fromEntries(NUMBERS.map((k) => [k, Number(f.values[k])])),
        ...(e.kind === 'osmo_hlr'
          ? // not a number: sent as typed, the API's 400 names the field
            { vtyPort: vtyPortValue(f.values.vtyPort ?? '') }
          : {}),
        enabled,
        isDefault,
        ...(f.values.username?.trim() ? { username: f.values.username.trim() } : {}),
        ...(f.values.password ? { password: f.values.password } : {}),
      }),
    onSuccess: () => {
      notifications.show({ color: 'green', message: t('activation.saved', { code: e.code }) });
      void client.invalidateQueries({ queryKey: ['activation-elements'] });
      onClose();
    },
    onError: f.fail,
  });
  const submit = () => {
    if (!f.require(['name', 'host', ...NUMBERS])) return;
    save.mutate();
  };
  const field = (k: (typeof NUMBERS)[number], label: string, hint?: string) => (
    <TextInput
      label={label}
      description={hint}
      inputMode="numeric"
      value={f.values[k]}
      onChange={(x) => f.set(k, x.currentTarget.value)}
      error={f.err(k)}
    />
  );
  return (
    <Modal opened onClose={onClose} title={`${e.code} · ${t(`activation.kinds.${e.kind}`)}`} size="lg">
      <Stack gap="sm" data-testid="element-form">
        <TextInput
          label={t('activation.name')}
          value={f.values.name}
          onChange={(x) => f.set('name', x.currentTarget.value)}
          error={f.err('name')}
        />
        <Group grow>
          <TextInput
            label={t('activation.host')}
            value={f.values.host}
            onChange={(x) => f.set('host', x.currentTarget.value)}
            error={f.err('host')}
          />
          {field('port', t('activation.port'))}
          {e.kind === 'osmo_hlr' && (
            <TextInput
              label={t('activation.vtyPort')}
              description={t('activation.vtyPortHint')}
              inputMode="numeric"
              value={f.values.vtyPort}
              onChange={(x) => f.set('vtyPort', x.currentTarget.value)}
              error={f.err('vtyPort')}
              data-testid="vty-port"
            />
          )}
        </Group>
        <Group grow align="flex-start">
          {field('ratePerSecond', t('activation.throttlePerSecond'), t('activation.throttleHint'))}
          {field('timeoutMs', t('activation.timeoutMs'))}
        </Group>
        <Group grow>
          {field('poolSize', t('activation.poolSize'))}
          {field('pipeline', t('activation.pipeline'))}
        </Group>
        {e.kind === 'mml_switch' && (
          <Group grow align="flex-start">
            <TextInput
              label={t('activation.username')}
              description={t('activation.keepHint')}
              value={f.values.username}
              onChange={(x) => f.set('username', x.currentTarget.value)}
              error={f.err('username')}
            />
            <PasswordInput
              label={t('activation.password')}
              description={t('activation.keepHint')}
              value={f.values.password}
              onChange={(x) => f.set('password', x.currentTarget.value)}
              error={f.err('password')}
            />
          </Group>
        )}
        <Group>
          <Switch
            label={t('activation.enabled')}
            checked={enabled}
            onChange={(x) => setEnabled(x.currentTarget.checked)}
          />
          <Switch
            label={t('activation.isDefault')}
            checked={isDefault}
            onChange={(x) => setIsDefault(x.currentTarget.checked)}
          />
        </Group>
        {f.general && <Alert color="red">{f.general}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('activation.cancel')}
          </Button>
          <Button onClick={submit} loading={save.isPending} data-testid="save-element">
            {t('activation.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function Orders({
  initialLine,
  initialElement,
  elements,
}: {
  initialLine: string;
  initialElement: string | null;
  elements: string[];
}) {
  const { t } = useTranslation();
  // the switching service's first look: what the elements refused; a line's orders: all of them
  const [status, setStatus] = useState<string | null>(initialLine ? null : 'refused');
  const [element, setElement] = useState<string | null>(initialElement);
  // refused orders dealt with (replayed; a request's step ended or retried): hidden unless asked for
  const [unreplayed, setUnreplayed] = useState(true);
  const [line, setLine] = useState(initialLine);
  const [l] = useDebouncedValue(line.replace(/[\s.+-]/g, ''), 300);
  const [open, setOpen] = useState<number | null>(null);
  const pager = useCursor();
  const { reset } = pager;
  const toHandle = status === 'refused' && unreplayed ? true : undefined;
  useEffect(() => reset(), [status, element, l, toHandle, reset]);
  const q = useQuery({
    queryKey: ['activation-orders', status, element, l, toHandle, pager.cursor],
    queryFn: () =>
      get<Page<ActivationOrder>>(
        `/api/v1/activation/orders${qs({ status, element, lineId: l || undefined, toHandle, limit: 25, cursor: pager.cursor })}`,
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  return (
    <>
      <Group justify="space-between" mb="xs">
        <Title order={5}>{t('activation.orders')}</Title>
        <ExportOrders filters={{ status, element, lineId: l || undefined, toHandle }} />
      </Group>
      <Group mb="sm" align="flex-end" data-testid="order-filters">
        <Select
          label={t('activation.status')}
          w={160}
          clearable
          placeholder={t('activation.all')}
          value={status}
          onChange={setStatus}
          data={ORDER_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`, { defaultValue: s }) }))}
        />
        <Select
          label={t('activation.element')}
          w={180}
          clearable
          placeholder={t('activation.all')}
          value={element}
          onChange={setElement}
          data={elements}
        />
        <TextInput
          label={t('activation.line')}
          w={180}
          value={line}
          onChange={(e) => setLine(e.currentTarget.value)}
        />
        {status === 'refused' && (
          <Checkbox
            mb={8}
            label={t('activation.unreplayedOnly')}
            checked={unreplayed}
            onChange={(e) => setUnreplayed(e.currentTarget.checked)}
            data-testid="unreplayed-only"
          />
        )}
        {status === 'refused' && element && <ReplayRefused element={element} />}
      </Group>
      <QueryState query={q}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{t('activation.noOrder')}</Empty>
          ) : (
            <>
              <Paper withBorder style={{ overflowX: 'auto' }}>
                <Table striped highlightOnHover data-testid="orders">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>N°</Table.Th>
                      <Table.Th>{t('activation.operation')}</Table.Th>
                      <Table.Th>{t('activation.line')}</Table.Th>
                      <Table.Th>{t('activation.element')}</Table.Th>
                      <Table.Th>{t('activation.status')}</Table.Th>
                      <Table.Th>{t('activation.attempts')}</Table.Th>
                      <Table.Th>{t('activation.error')}</Table.Th>
                      <Table.Th>{t('activation.createdAt')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {page.items.map((o) => (
                      <Table.Tr key={o.id} onClick={() => setOpen(o.id)} style={{ cursor: 'pointer' }}>
                        <Table.Td ff="monospace">{o.id}</Table.Td>
                        <Table.Td>
                          {t(`activation.operations.${o.operation}`, { defaultValue: o.operation })}
                        </Table.Td>
                        <Table.Td ff="monospace">{o.lineId}</Table.Td>
                        <Table.Td ff="monospace">{o.element}</Table.Td>
                        <Table.Td>
                          <Group gap={4} wrap="nowrap">
                            <StatusBadge status={o.status} />
                            {o.replayedBy && (
                              <Badge variant="light" color="gray" size="sm">
                                {t('activation.replayedAs', { id: o.replayedBy })}
                              </Badge>
                            )}
                          </Group>
                        </Table.Td>
                        <Table.Td>{o.attempts}</Table.Td>
                        <Table.Td>
                          <Text size="sm" lineClamp={1} title={o.error ?? undefined}>
                            {o.error ?? ''}
                          </Text>
                        </Table.Td>
                        <Table.Td>{dateTime(o.createdAt)}</Table.Td>
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
      <Drawer
        opened={open !== null}
        onClose={() => setOpen(null)}
        position="right"
        size="xl"
        title={open !== null ? t('activation.order', { id: open }) : ''}
      >
        {open !== null && <OrderDetail id={open} onReplayed={setOpen} />}
      </Drawer>
    </>
  );
}

/**
 * The orders the filters select as a CSV file (every page, not only the one shown): what switching
 * sends the network team after a bad night, the element's refusals with their messages.
 */
function ExportOrders({ filters }: { filters: Record<string, string | boolean | null | undefined> }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const { blob, headers } = await download(`/api/v1/activation/orders/export${qs(filters)}`, () => {});
      const name = /filename="([^"]+)"/.exec(headers.get('content-disposition') ?? '')?.[1] ?? 'orders.csv';
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      notifications.show({
        color: 'green',
        message: t('activation.exported', { count: Number(headers.get('x-gpto-rows') ?? 0), name }),
      });
    } catch (e) {
      notifications.show({ color: 'red', message: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button variant="default" size="xs" loading={busy} onClick={() => void run()} data-testid="export-orders">
      {t('activation.export')}
    </Button>
  );
}

/**
 * Carries out again, after a confirmation, the element's refused orders left to handle once it is
 * put right: orders on their own are replayed, requests' fallen-out steps retried (the request
 * carries on); the notice says how many of each, and why any step was left in the basket.
 */
function ReplayRefused({ element }: { element: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const errorText = useErrorText();
  const client = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const replay = useMutation({
    mutationFn: async () => {
      let report: ReplayReport;
      let replayed = 0;
      let retried = 0;
      do {
        report = await post<ReplayReport>('/api/v1/activation/orders/replay', { element });
        replayed += report.replayed.length;
        retried += report.retried.length;
      } while (report.more);
      return { replayed, retried, left: report.left, moreSteps: report.moreSteps };
    },
    onSuccess: ({ replayed, retried, left, moreSteps }) => {
      setConfirm(false);
      notifications.show({
        color: left.length > 0 ? 'orange' : replayed + retried > 0 ? 'green' : 'gray',
        autoClose: left.length > 0 ? false : 8000,
        message: [
          t('activation.replayedMany', { count: replayed, element }),
          ...(retried > 0 ? [t('activation.retriedMany', { count: retried })] : []),
          ...(left.length > 0
            ? [t('activation.leftInBasket', { count: left.length, reason: left[0]!.reason })]
            : []),
          // the steps just retried still look refused until the workers have run them
          ...(moreSteps ? [t('activation.moreSteps')] : []),
        ].join(' '),
      });
      void client.invalidateQueries({ queryKey: ['activation-orders'] });
      void client.invalidateQueries({ queryKey: ['activation-elements'] });
    },
    onError: (e) => {
      setConfirm(false);
      notifications.show({ color: 'red', message: errorText(e) });
    },
  });
  if (!can('activation:write')) return null;
  return (
    <Popover opened={confirm} onChange={setConfirm} withArrow position="bottom-end">
      <Popover.Target>
        <Button variant="light" mb={2} onClick={() => setConfirm((x) => !x)} data-testid="replay-refused">
          {t('activation.replayRefused', { element })}
        </Button>
      </Popover.Target>
      <Popover.Dropdown maw={360}>
        <Stack gap="xs">
          <Text size="sm">{t('activation.replayRefusedConfirm', { element })}</Text>
          <Group justify="flex-end">
            <Button size="xs" variant="default" onClick={() => setConfirm(false)}>
              {t('activation.cancel')}
            </Button>
            <Button
              size="xs"
              onClick={() => replay.mutate()}
              loading={replay.isPending}
              data-testid="replay-refused-confirm"
            >
              {t('activation.replayAll')}
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

function OrderDetail({ id, onReplayed }: { id: number; onReplayed: (next: number) => void }) {
  const { t } = useTranslation();
  const can = useCan();
  const errorText = useErrorText();
  const client = useQueryClient();
  const [replayError, setReplayError] = useState<string | null>(null);
  const q = useQuery({
    queryKey: ['activation-order', id],
    queryFn: () => get<ActivationOrder & { commands: Command[] }>(`/api/v1/activation/orders/${id}`),
    refetchInterval: (x) =>
      x.state.data && (x.state.data.status === 'pending' || x.state.data.status === 'running') ? 1000 : false,
  });
  const replay = useMutation({
    mutationFn: () =>
      post<ActivationOrder & { retriedStep?: number }>(`/api/v1/activation/orders/${id}/replay`, {}),
    onSuccess: (next) => {
      setReplayError(null);
      void client.invalidateQueries({ queryKey: ['activation-orders'] });
      void client.invalidateQueries({ queryKey: ['activation-elements'] });
      if (next.retriedStep) {
        // a request's step: the workflow runs it again, with a new order, and the request carries on
        notifications.show({ color: 'green', message: t('activation.stepRetried', { id }) });
        void client.invalidateQueries({ queryKey: ['activation-order', id] });
        return;
      }
      notifications.show({ color: 'green', message: t('activation.replayed', { id, next: next.id }) });
      onReplayed(next.id);
    },
    onError: (e) => setReplayError(errorText(e)),
  });
  const [dismissReason, setDismissReason] = useState('');
  const dismiss = useMutation({
    mutationFn: () =>
      post<ActivationOrder>(`/api/v1/activation/orders/${id}/dismiss`, { reason: dismissReason }),
    onSuccess: () => {
      setReplayError(null);
      notifications.show({ color: 'green', message: t('activation.dismissed', { id }) });
      void client.invalidateQueries({ queryKey: ['activation-order', id] });
      void client.invalidateQueries({ queryKey: ['activation-orders'] });
      void client.invalidateQueries({ queryKey: ['activation-elements'] });
    },
    onError: (e) => setReplayError(errorText(e)),
  });
  return (
    <QueryState query={q}>
      {(o) => (
        <Stack gap="sm" data-testid="order-detail">
          <Group justify="space-between">
            <Text fw={600}>{t(`activation.operations.${o.operation}`, { defaultValue: o.operation })}</Text>
            <StatusBadge status={o.status} />
          </Group>
          <SimpleGrid cols={2} spacing="xs">
            <Stat label={t('activation.line')}>
              <Anchor size="sm" onClick={() => navigate(`/lines/${o.lineId}`)}>
                {o.lineId}
              </Anchor>
            </Stat>
            <Stat label={t('activation.element')}>{o.element}</Stat>
            <Stat label={t('activation.attempts')}>{o.attempts}</Stat>
            <Stat label={t('activation.createdBy')}>{o.createdBy}</Stat>
            <Stat label={t('activation.createdAt')}>{dateTime(o.createdAt)}</Stat>
            <Stat label={t('activation.startedAt')}>{dateTime(o.startedAt)}</Stat>
            <Stat label={t('activation.finishedAt')}>{dateTime(o.finishedAt)}</Stat>
            {o.requestRef && (
              <Stat label={t('activation.request')}>
                {/* a request's number opens it; an audit's reference (AUDIT-n) is shown as it is */}
                {/^(AUDIT-|\d+$)/.test(o.requestRef) ? (
                  o.requestRef
                ) : (
                  <Anchor
                    size="sm"
                    onClick={() => navigate(`/requests/${o.requestRef}`)}
                    data-testid="order-request"
                  >
                    {o.requestRef}
                  </Anchor>
                )}
              </Stat>
            )}
            {o.replayOf && (
              <Stat label={t('activation.replayOf')}>
                <Anchor size="sm" onClick={() => onReplayed(o.replayOf!)}>
                  {o.replayOf}
                </Anchor>
              </Stat>
            )}
            {o.replayedBy && (
              <Stat label={t('activation.replayedBy')}>
                <Anchor size="sm" onClick={() => onReplayed(o.replayedBy!)} data-testid="replayed-by">
                  {o.replayedBy}
                </Anchor>
              </Stat>
            )}
            {o.revertOf && <Stat label={t('activation.revertOf')}>{o.revertOf}</Stat>}
          </SimpleGrid>
          {o.error && (
            <Alert color="orange" title={t('activation.error')} data-testid="order-error">
              <Text size="sm">{o.error}</Text>
            </Alert>
          )}
          <div>
            <Text size="sm" c="dimmed">
              {t('activation.params')}
            </Text>
            <Code block>{JSON.stringify(o.params, null, 2)}</Code>
          </div>
          {o.result !== null && o.result !== undefined && (
            <div>
              <Text size="sm" c="dimmed">
                {t('activation.result')}
              </Text>
              <Code block>{JSON.stringify(o.result, null, 2)}</Code>
            </div>
          )}
          {o.dismissed && (
            <Alert color="gray" data-testid="order-dismissed">
              {t('activation.dismissedBy', { by: o.dismissed.by, at: dateTime(o.dismissed.at) })} :{' '}
              {o.dismissed.reason}
            </Alert>
          )}
          {o.status === 'refused' && !o.replayedBy && !o.dismissed && can('activation:write') && (
            <Group>
              <Button onClick={() => replay.mutate()} loading={replay.isPending} data-testid="replay-order">
                {t('activation.replay')}
              </Button>
              <Text size="xs" c="dimmed" maw={360}>
                {t('activation.replayHint')}
              </Text>
            </Group>
          )}
          {/* an order of its own (not a request's step, handled in the basket) that replaying
              would only refuse again: set aside with the reason, it leaves the orders to handle */}
          {o.status === 'refused' &&
            !o.replayedBy &&
            !o.dismissed &&
            o.taskId === null &&
            can('activation:write') && (
              <Group align="flex-end">
                <TextInput
                  label={t('activation.dismissReason')}
                  value={dismissReason}
                  onChange={(e) => setDismissReason(e.currentTarget.value)}
                  data-testid="dismiss-reason"
                  style={{ flex: 1 }}
                />
                <Button
                  variant="default"
                  onClick={() => dismiss.mutate()}
                  loading={dismiss.isPending}
                  disabled={dismissReason.trim() === ''}
                  data-testid="dismiss-order"
                >
                  {t('activation.dismiss')}
                </Button>
              </Group>
            )}
          {replayError && (
            <Alert color="red" data-testid="replay-error">
              {replayError}
            </Alert>
          )}
          <Title order={6}>{t('activation.journal')}</Title>
          {o.commands.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('activation.noCommand')}
            </Text>
          ) : (
            <CommandsTable commands={[...o.commands].reverse()} testId="order-journal" />
          )}
        </Stack>
      )}
    </QueryState>
  );
}
