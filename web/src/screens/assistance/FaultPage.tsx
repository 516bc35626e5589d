import {
  Alert,
  Anchor,
  Badge,
  Button,
  Grid,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  Textarea,
  Timeline,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import { RequestScenario } from '../backoffice/RequestScenario';
import { TaskDrawer } from '../backoffice/TaskDrawer';
import type { FaultDetail } from './faults';

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}

/** One fault: the first diagnosis, its tasks on its scenario, its work orders; close or reopen it. */
export function FaultPage({ refCode }: { refCode: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const [open, setOpen] = useState<number | null>(null);
  const q = useQuery({
    queryKey: ['fault', refCode],
    queryFn: () => get<FaultDetail>(`/api/v1/faults/${encodeURIComponent(refCode)}`),
    refetchInterval: 10_000,
  });
  return (
    <QueryState query={q}>
      {(f) => (
        <Stack data-testid="fault-page">
          <Group gap="sm">
            <Title order={3}>
              {t('fault.title')} {f.number}
            </Title>
            <StatusBadge status={f.status} />
            {f.overdue && <Badge color="red">{t('basket.overdue')}</Badge>}
            {f.reopenCount > 0 && (
              <Badge color="orange" variant="light">
                {t('fault.reopened', { count: f.reopenCount })}
              </Badge>
            )}
          </Group>
          <Grid>
            <Grid.Col span={{ base: 12, md: 7 }}>
              <Paper withBorder p="md">
                <Grid>
                  <Grid.Col span={4}>
                    <Field label={t('fault.line')}>
                      <Anchor size="sm" onClick={() => navigate(`/lines/${f.lineId}`)}>
                        {f.lineId}
                      </Anchor>{' '}
                      ·{' '}
                      <Anchor size="sm" onClick={() => navigate(`/customers/${f.customerId}`)}>
                        {t('request.customer')}
                      </Anchor>
                    </Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('fault.symptom')}>
                      {t(`fault.symptoms.${f.symptom}`, { defaultValue: f.symptom })}
                    </Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('fault.channel')}>
                      {t(`fault.channels.${f.channel}`, { defaultValue: f.channel })}
                      {f.contactPhone ? ` · ${f.contactPhone}` : ''}
                    </Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('fault.reportedAt')}>{dateTime(f.reportedAt)}</Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('fault.dueAt')}>{dateTime(f.dueAt)}</Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('fault.resolvedAt')}>
                      {dateTime(f.resolvedAt)}
                      {f.closedAt ? ` · ${t('fault.closedAt')} ${dateTime(f.closedAt)}` : ''}
                    </Field>
                  </Grid.Col>
                  {f.description && (
                    <Grid.Col span={12}>
                      <Field label={t('fault.description')}>{f.description}</Field>
                    </Grid.Col>
                  )}
                  {(f.causeCode || f.resolution) && (
                    <Grid.Col span={12}>
                      <Field label={t('fault.resolution')}>
                        {f.causeCode && (
                          <Badge size="sm" variant="outline" mr={6}>
                            {f.causeCode}
                          </Badge>
                        )}
                        {f.resolution}
                      </Field>
                    </Grid.Col>
                  )}
                </Grid>
              </Paper>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5 }}>
              <Paper withBorder p="md" data-testid="diagnosis">
                <Group gap="xs" mb={6}>
                  <Title order={5}>{t('fault.diagnosis')}</Title>
                  <Badge color="grape" variant="light">
                    {t(`fault.verdicts.${f.diagnosis.verdict}`, { defaultValue: f.diagnosis.verdict })}
                  </Badge>
                </Group>
                <Text size="sm">{f.diagnosis.why}</Text>
                <Text size="xs" c="dimmed" mt={6}>
                  {f.diagnosis.lineStatus.available
                    ? t('fault.lineStatus', {
                        state: f.diagnosis.lineStatus.state,
                        source: f.diagnosis.lineStatus.source,
                      })
                    : t('fault.lineStatusUnavailable', {
                        detail: f.diagnosis.lineStatus.detail ?? f.diagnosis.lineStatus.source,
                      })}
                  {f.diagnosis.lineStatus.meterIndex !== null &&
                    ` · ${t('fault.meter', { index: f.diagnosis.lineStatus.meterIndex })}`}
                </Text>
                {f.incident && (
                  <Alert color="orange" mt="sm" p="xs">
                    {t('fault.incident', { number: f.incident.number, status: f.incident.status })}
                  </Alert>
                )}
              </Paper>
              {can('fault:write') && <FaultActions f={f} />}
            </Grid.Col>
          </Grid>
          <Grid>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('fault.workOrders')}
                </Title>
                {f.workOrders.length === 0 ? (
                  <Empty />
                ) : (
                  <Table data-testid="work-orders">
                    <Table.Tbody>
                      {f.workOrders.map((w) => (
                        <Table.Tr key={w.number}>
                          <Table.Td>
                            {/* the work order's page: its state, report and the PDF button */}
                            <Anchor
                              size="sm"
                              ff="monospace"
                              data-testid="work-order-link"
                              onClick={() => navigate(`/work-orders/${w.number}`)}
                            >
                              {w.number}
                            </Anchor>
                          </Table.Td>
                          <Table.Td>
                            {w.team}
                            {w.zone ? ` · ${w.zone}` : ''}
                          </Table.Td>
                          <Table.Td>
                            <StatusBadge status={w.status} />
                          </Table.Td>
                          <Table.Td>
                            <Text size="xs">
                              {w.causeCode ? `${w.causeCode} · ` : ''}
                              {w.report ?? dateTime(w.issuedAt)}
                            </Text>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                )}
              </Paper>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('request.tasks')}
                </Title>
                {!f.workflow || f.workflow.tasks.length === 0 ? (
                  <Empty />
                ) : (
                  <Timeline bulletSize={12} lineWidth={2}>
                    {f.workflow.tasks.map((k) => (
                      <Timeline.Item
                        key={k.id}
                        title={
                          <Group gap="xs">
                            <Text
                              size="sm"
                              fw={600}
                              style={{ cursor: can('task:work') ? 'pointer' : undefined }}
                              onClick={() => can('task:work') && k.kind === 'human' && setOpen(k.id)}
                            >
                              {k.label}
                            </Text>
                            <StatusBadge status={k.status} />
                            {k.outcome && (
                              <Badge size="xs" variant="outline">
                                {k.outcome}
                              </Badge>
                            )}
                          </Group>
                        }
                      >
                        <Text size="xs" c="dimmed">
                          {k.actor ?? '—'} · {dateTime(k.createdAt)}
                          {k.completedAt ? ` → ${dateTime(k.completedAt)}` : ''}
                        </Text>
                      </Timeline.Item>
                    ))}
                  </Timeline>
                )}
              </Paper>
            </Grid.Col>
          </Grid>
          {f.notifications.length > 0 && (
            <Paper withBorder p="md">
              <Title order={5} mb="sm">
                {t('fault.notifications')}
              </Title>
              {f.notifications.map((n, i) => (
                <Text size="sm" key={i}>
                  <Text span c="dimmed" size="xs">
                    {dateTime(n.at)} · {n.channel} · {n.recipient} —{' '}
                  </Text>
                  {n.text}
                </Text>
              ))}
            </Paper>
          )}
          {f.workflow && <RequestScenario workflow={f.workflow} title={t('fault.scenario')} />}
          {open && <TaskDrawer taskId={open} onClose={() => setOpen(null)} />}
        </Stack>
      )}
    </QueryState>
  );
}

/** Close (the customer confirms the line works) or reopen (it does not), with the reason next to its field. */
function FaultActions({ f }: { f: FaultDetail }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({ note: '', reason: '' });
  const done = (message: string) => {
    void qc.invalidateQueries({ queryKey: ['fault', f.number] });
    void qc.invalidateQueries({ queryKey: ['faults'] });
    form.reset({ note: '', reason: '' });
    notifications.show({ color: 'green', message });
  };
  const close = useMutation({
    mutationFn: () =>
      post(
        `/api/v1/faults/${f.number}/close`,
        form.values.note?.trim() ? { note: form.values.note.trim() } : {},
      ),
    onSuccess: () => done(t('fault.closed')),
    onError: form.fail,
  });
  const reopen = useMutation({
    mutationFn: () => post(`/api/v1/faults/${f.number}/reopen`, { reason: form.values.reason?.trim() ?? '' }),
    onSuccess: () => done(t('fault.reopenedNow')),
    onError: form.fail,
  });
  const canClose = f.status === 'resolved';
  const canReopen = f.status !== 'open';
  if (!canClose && !canReopen) return null;
  return (
    <Paper withBorder p="md" mt="sm" data-testid="fault-actions">
      {canClose && (
        <Group align="flex-end" wrap="nowrap">
          <Textarea
            label={t('fault.closeNote')}
            autosize
            minRows={1}
            style={{ flex: 1 }}
            value={form.values.note}
            onChange={(e) => form.set('note', e.currentTarget.value)}
            error={form.err('note')}
          />
          <Button onClick={() => close.mutate()} loading={close.isPending} data-testid="close-fault">
            {t('fault.close')}
          </Button>
        </Group>
      )}
      {canReopen && (
        <Group align="flex-end" wrap="nowrap" mt={canClose ? 'sm' : 0}>
          <Textarea
            label={t('fault.reopenReason')}
            withAsterisk
            autosize
            minRows={1}
            style={{ flex: 1 }}
            value={form.values.reason}
            onChange={(e) => form.set('reason', e.currentTarget.value)}
            error={form.err('reason')}
          />
          <Button
            variant="default"
            onClick={() => form.require(['reason']) && reopen.mutate()}
            loading={reopen.isPending}
            data-testid="reopen-fault"
          >
            {t('fault.reopen')}
          </Button>
        </Group>
      )}
      {form.general && (
        <Alert color="red" mt="sm" data-testid="fault-action-error">
          {form.general}
        </Alert>
      )}
    </Paper>
  );
}
