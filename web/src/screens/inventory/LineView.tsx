import { Anchor, Badge, Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { address, dateTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import type { Page } from '../../lib/types';
import type { Fault, LineAccess } from '../assistance/faults';
import { LineConsultation, type Consultation } from '../assistance/LineConsultation';
import { ReportFault } from '../assistance/ReportFault';
import { OpenComplaint } from '../assistance/OpenComplaint';

interface Pair {
  id: number;
  cable: string;
  number: number;
}
interface TechnicalFile {
  directoryNumber: string;
  kind: string;
  status: string;
  product: string;
  requestRef: string | null;
  address: { street: string; locality: string; number?: string | null; district?: string | null } | null;
  chain: {
    equipmentNumber: string | null;
    switch: string | null;
    site: string | null;
    mdf: string | null;
    mdfHorizontal: string | null;
    mdfVertical: string | null;
    primaryPair: Pair | null;
    sdf: string | null;
    distributionPair: Pair | null;
    cp: string | null;
    baseStation: string | null;
    sim: { iccid: string; imsi: string } | null;
  };
  createdAt: string;
  ceasedAt: string | null;
  history: { change: string; detail: unknown; at: string }[];
}

/** One link of the chain from the number to the subscriber. */
function Link({ label, value, sub }: { label: string; value: string | null; sub?: string | null }) {
  return (
    <Paper withBorder p="xs" miw={120} bg={value ? undefined : 'gray.0'}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600} ff="monospace">
        {value ?? '—'}
      </Text>
      {sub && (
        <Text size="xs" c="dimmed" ff="monospace">
          {sub}
        </Text>
      )}
    </Paper>
  );
}

/**
 * What the line may do on the network now and why, for the agent on the phone ("I have no data"):
 * voice and data as the HLR has them (or the switch's barring classes), a limitation for unpaid
 * bills, the temporary changes of access in force with their end.
 */
function AccessBadges({ access }: { access: LineAccess }) {
  const { t } = useTranslation();
  const what = (c: LineAccess['temporary'][number]) =>
    [
      c.voice !== undefined
        ? t('fault.access.voice', { state: t(c.voice ? 'fault.access.openVoice' : 'fault.access.cutVoice') })
        : null,
      c.data !== undefined
        ? t('fault.access.data', { state: t(c.data ? 'fault.access.open' : 'fault.access.cut') })
        : null,
      c.barring ? t('fault.access.barring', { class: c.barring }) : null,
    ]
      .filter(Boolean)
      .join(', ');
  return (
    <Stack gap={4} data-testid="line-access">
      <Group gap="xs">
        {access.voice !== null && (
          <Badge variant="light" color={access.voice ? 'green' : 'red'} data-access="voice">
            {t('fault.access.voice', {
              state: t(access.voice ? 'fault.access.openVoice' : 'fault.access.cutVoice'),
            })}
          </Badge>
        )}
        {access.data !== null && (
          <Badge variant="light" color={access.data ? 'green' : 'red'} data-access="data">
            {t('fault.access.data', { state: t(access.data ? 'fault.access.open' : 'fault.access.cut') })}
          </Badge>
        )}
        {access.barring && (
          <Badge variant="light" color="gray" data-access="barring">
            {t('fault.access.barring', { class: access.barring })}
            {access.effectiveBarring && access.effectiveBarring !== access.barring
              ? ` · ${t('fault.access.effective', { class: access.effectiveBarring })}`
              : ''}
          </Badge>
        )}
        {access.limitation && (
          <Badge variant="filled" color="red" data-access="limitation">
            {t(access.limitation === 'limited' ? 'fault.access.limited' : 'fault.access.changing')}
          </Badge>
        )}
      </Group>
      {access.temporary.map((c) => (
        <Text key={c.orderId} size="xs" c="orange.8" data-access="temporary">
          {t('fault.access.temporary', { until: dateTime(c.until), what: what(c), order: c.orderId })}
        </Text>
      ))}
    </Stack>
  );
}

/** The subscriber technical file: the chain from the number to the concentration point, or the SIM. */
export function LineView({ number }: { number: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const [reporting, setReporting] = useState(false);
  const [complaining, setComplaining] = useState(false);
  const q = useQuery({
    queryKey: ['line', number],
    queryFn: () => get<TechnicalFile>(`/api/v1/inventory/lines/${encodeURIComponent(number)}`),
  });
  // The line as the network element sees it now (the switch, or the HLR for a mobile line).
  const live = useQuery({
    queryKey: ['line-live', number],
    queryFn: () => get<Consultation>(`/api/v1/lines/${encodeURIComponent(number)}`),
    enabled: can('line:read'),
    retry: false,
  });
  const faults = useQuery({
    queryKey: ['faults', 'line', number],
    queryFn: () => get<Page<Fault>>(`/api/v1/faults${qs({ line: number, limit: 10 })}`),
    enabled: can('fault:read'),
  });
  return (
    <QueryState query={q}>
      {(l) => {
        const c = l.chain;
        const pair = (p: Pair | null) => (p ? `${p.cable} / ${p.number}` : null);
        const links = c.sim
          ? [
              { label: t('line.number'), value: l.directoryNumber },
              { label: 'SIM', value: c.sim.iccid, sub: `IMSI ${c.sim.imsi}` },
              { label: t('line.baseStation'), value: c.baseStation },
            ]
          : [
              { label: t('line.number'), value: l.directoryNumber },
              {
                label: t('line.equipment'),
                value: c.equipmentNumber,
                sub: [c.switch, c.site].filter(Boolean).join(' · '),
              },
              {
                label: t('line.mdf'),
                value: c.mdf,
                sub: [c.mdfHorizontal, c.mdfVertical].filter(Boolean).join(' / '),
              },
              { label: t('line.primaryPair'), value: pair(c.primaryPair) },
              { label: t('inventory.sdf'), value: c.sdf },
              { label: t('line.distributionPair'), value: pair(c.distributionPair) },
              { label: t('inventory.cp'), value: c.cp },
              ...(c.baseStation ? [{ label: t('line.baseStation'), value: c.baseStation }] : []),
            ];
        return (
          <Stack data-testid="line-view">
            <Group gap="sm">
              <Title order={3}>
                {t('line.title')} {l.directoryNumber}
              </Title>
              <StatusBadge status={l.status} />
              <Badge variant="outline" color="gray">
                {l.product}
              </Badge>
              {can('fault:write') && !l.ceasedAt && (
                <Button
                  size="xs"
                  color="orange"
                  ml="auto"
                  onClick={() => setReporting(true)}
                  data-testid="report-fault"
                >
                  {t('fault.reportButton')}
                </Button>
              )}
              {can('complaint:write') && (
                <Button
                  size="xs"
                  variant="default"
                  ml={can('fault:write') && !l.ceasedAt ? undefined : 'auto'}
                  onClick={() => setComplaining(true)}
                  data-testid="open-complaint"
                >
                  {t('complaint.open')}
                </Button>
              )}
              {can('activation:read') && (
                <Button
                  size="xs"
                  variant="subtle"
                  ml={(can('fault:write') && !l.ceasedAt) || can('complaint:write') ? undefined : 'auto'}
                  onClick={() => navigate(`/activation?line=${encodeURIComponent(l.directoryNumber)}`)}
                  data-testid="line-activation"
                >
                  {t('activation.lineJournal')}
                </Button>
              )}
            </Group>
            {live.data && (
              <Group gap="xs" data-testid="live-status">
                <Text size="sm" c="dimmed">
                  {t('fault.live')}
                </Text>
                {live.data.status.available ? (
                  <>
                    <Badge
                      variant="light"
                      color={
                        ['idle', 'busy', 'in_service'].includes(live.data.status.state) ? 'green' : 'orange'
                      }
                      data-state={live.data.status.state}
                    >
                      {t(`fault.lineStates.${live.data.status.state}`, {
                        defaultValue: live.data.status.state,
                      })}
                    </Badge>
                    <Text size="xs" c="dimmed">
                      {live.data.status.source}
                      {live.data.status.meterIndex !== null
                        ? ` · ${t('fault.meter', { index: live.data.status.meterIndex })}`
                        : ''}
                      {live.data.status.detail ? ` · ${live.data.status.detail}` : ''}
                    </Text>
                  </>
                ) : (
                  <Text size="xs" c="orange.8">
                    {t('fault.lineStatusUnavailable', {
                      detail: live.data.status.detail ?? live.data.status.source,
                    })}
                  </Text>
                )}
              </Group>
            )}
            {live.data?.status.access && <AccessBadges access={live.data.status.access} />}
            {reporting && <ReportFault line={l.directoryNumber} onClose={() => setReporting(false)} />}
            {complaining && <OpenComplaint line={l.directoryNumber} onClose={() => setComplaining(false)} />}
            {(faults.data?.items.length ?? 0) > 0 && (
              <Paper withBorder p="md" data-testid="line-faults">
                <Title order={5} mb="sm">
                  {t('fault.ofLine')}
                </Title>
                {faults.data?.items.map((f) => (
                  <Group key={f.id} gap="xs">
                    <Anchor size="sm" ff="monospace" onClick={() => navigate(`/faults/${f.number}`)}>
                      {f.number}
                    </Anchor>
                    <StatusBadge status={f.status} />
                    <Text size="sm">{t(`fault.symptoms.${f.symptom}`, { defaultValue: f.symptom })}</Text>
                    <Text size="xs" c="dimmed">
                      {dateTime(f.reportedAt)}
                    </Text>
                  </Group>
                ))}
              </Paper>
            )}
            <Text size="sm" c="dimmed">
              {address(l.address ?? undefined)} · {t('request.created')} {dateTime(l.createdAt)}
              {l.ceasedAt ? ` · ${t('line.ceased')} ${dateTime(l.ceasedAt)}` : ''}
              {l.requestRef && (
                <>
                  {' · '}
                  <Anchor size="sm" onClick={() => navigate(`/requests/${l.requestRef}`)}>
                    {l.requestRef}
                  </Anchor>
                </>
              )}
            </Text>
            <Paper withBorder p="md">
              <Title order={5} mb="sm">
                {t('line.chain')}
              </Title>
              <Group gap={6} wrap="wrap">
                {links.map((x, i) => (
                  <Group key={x.label} gap={6} wrap="nowrap">
                    {i > 0 && <Text c="dimmed">→</Text>}
                    <Link {...x} />
                  </Group>
                ))}
              </Group>
            </Paper>
            <Paper withBorder p="md" data-testid="line-plant-history">
              <Title order={5} mb="xs">
                {t('line.history')}
              </Title>
              {l.history.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {t('line.noHistory')}
                </Text>
              ) : (
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('line.when')}</Table.Th>
                      <Table.Th>{t('line.change')}</Table.Th>
                      <Table.Th>{t('line.detail')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {l.history.map((h, i) => (
                      <Table.Tr key={i}>
                        <Table.Td>{dateTime(h.at)}</Table.Td>
                        <Table.Td>{h.change}</Table.Td>
                        <Table.Td>
                          <Text size="xs" ff="monospace" lineClamp={2}>
                            {h.detail ? JSON.stringify(h.detail) : ''}
                          </Text>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Paper>
            {live.data && <LineConsultation number={l.directoryNumber} view={live.data} />}
          </Stack>
        );
      }}
    </QueryState>
  );
}
