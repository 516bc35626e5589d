import {
  Alert,
  Anchor,
  Autocomplete,
  Button,
  Grid,
  Group,
  Paper,
  SegmentedControl,
  Stack,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useApiForm, useErrorText } from '../../lib/form';
import { navigate } from '../../lib/router';
import { CAUSE_CODES, type WorkOrder } from './care';
import { Field } from './CareParts';

/** One work order: what to do where, its printable copy, its start and its completion report. */
export function WorkOrderPage({ refCode }: { refCode: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const q = useQuery({
    queryKey: ['work-order', refCode],
    queryFn: () => get<WorkOrder>(`/api/v1/work-orders/${encodeURIComponent(refCode)}`),
  });
  return (
    <QueryState query={q}>
      {(w) => (
        <Stack data-testid="work-order-page">
          <Group gap="sm">
            <Title order={3}>
              {t('workOrder.title')} {w.number}
            </Title>
            <StatusBadge status={w.status} />
            <Anchor
              href={`/api/v1/work-orders/${w.number}/pdf`}
              target="_blank"
              size="sm"
              ml="auto"
              data-testid="work-order-pdf"
            >
              {t('workOrder.pdf')}
            </Anchor>
          </Group>
          <Grid>
            <Grid.Col span={{ base: 12, md: 7 }}>
              <Paper withBorder p="md">
                <Grid>
                  <Grid.Col span={4}>
                    <Field label={t('workOrder.team')}>
                      {t(`workOrder.teams.${w.team}`, { defaultValue: w.team })}
                    </Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('workOrder.zone')}>{w.zone ?? '—'}</Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('workOrder.for')}>
                      {w.faultNumber && (
                        <Anchor size="sm" onClick={() => navigate(`/faults/${w.faultNumber}`)}>
                          {w.faultNumber}
                        </Anchor>
                      )}
                      {w.incidentNumber && (
                        <Anchor size="sm" onClick={() => navigate(`/incidents/${w.incidentNumber}`)}>
                          {w.incidentNumber}
                        </Anchor>
                      )}
                      {w.lineId && (
                        <>
                          {' · '}
                          <Anchor size="sm" onClick={() => navigate(`/lines/${w.lineId}`)}>
                            {w.lineId}
                          </Anchor>
                        </>
                      )}
                    </Field>
                  </Grid.Col>
                  <Grid.Col span={12}>
                    <Field label={t('workOrder.instructions')}>{w.instructions}</Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('workOrder.issuedAt')}>{dateTime(w.issuedAt)}</Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('workOrder.startedAt')}>{dateTime(w.startedAt)}</Field>
                  </Grid.Col>
                  <Grid.Col span={4}>
                    <Field label={t('workOrder.endedAt')}>{dateTime(w.endedAt)}</Field>
                  </Grid.Col>
                  {(w.report || w.causeCode) && (
                    <Grid.Col span={12}>
                      <Field label={t('workOrder.report')}>
                        <span data-testid="work-order-report">
                          {w.causeCode ? `${w.causeCode} · ` : ''}
                          {w.report}
                        </span>
                      </Field>
                    </Grid.Col>
                  )}
                </Grid>
              </Paper>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5 }}>
              {can('workorder:write') && (w.status === 'issued' || w.status === 'in_progress') && (
                <WorkOrderActions w={w} />
              )}
            </Grid.Col>
          </Grid>
        </Stack>
      )}
    </QueryState>
  );
}

/** Start (the technician takes it) and the completion report (outcome, cause code, notes). */
function WorkOrderActions({ w }: { w: WorkOrder }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const [startError, setStartError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<'done' | 'failed'>('done');
  const form = useApiForm({ causeCode: '', report: '' });
  const refresh = (x: WorkOrder) => {
    qc.setQueryData(['work-order', w.number], x);
    void qc.invalidateQueries({ queryKey: ['work-orders'] });
    void qc.invalidateQueries({ queryKey: ['fault'] });
  };
  const start = useMutation({
    mutationFn: () => post<WorkOrder>(`/api/v1/work-orders/${w.number}/start`),
    onSuccess: (x) => {
      setStartError(null);
      refresh(x);
      notifications.show({ color: 'green', message: t('workOrder.started', { number: x.number }) });
    },
    onError: (e) => setStartError(errorText(e)),
  });
  const report = useMutation({
    mutationFn: () =>
      post<WorkOrder>(`/api/v1/work-orders/${w.number}/report`, {
        outcome,
        report: form.values.report?.trim(),
        ...(form.values.causeCode?.trim() ? { causeCode: form.values.causeCode.trim().toUpperCase() } : {}),
      }),
    onSuccess: (x) => {
      refresh(x);
      notifications.show({ color: 'green', message: t('workOrder.reported', { number: x.number }) });
    },
    onError: form.fail,
  });
  return (
    <Paper withBorder p="md" data-testid="work-order-actions">
      {w.status === 'issued' && (
        <>
          <Button onClick={() => start.mutate()} loading={start.isPending} data-testid="start-work-order">
            {t('workOrder.start')}
          </Button>
          {startError && (
            <Alert color="red" mt="sm">
              {startError}
            </Alert>
          )}
        </>
      )}
      {w.status === 'in_progress' && (
        <Stack gap="xs">
          <Title order={5}>{t('workOrder.report')}</Title>
          <SegmentedControl
            value={outcome}
            onChange={(o) => setOutcome(o as 'done' | 'failed')}
            data={(['done', 'failed'] as const).map((o) => ({
              value: o,
              label: t(`workOrder.outcomes.${o}`),
            }))}
          />
          <Autocomplete
            label={t('workOrder.causeCode')}
            withAsterisk={outcome === 'done' && !!w.faultNumber}
            data={[...CAUSE_CODES]}
            value={form.values.causeCode}
            onChange={(x) => form.set('causeCode', x)}
            error={form.err('causeCode')}
          />
          <Textarea
            label={t('workOrder.report')}
            withAsterisk
            autosize
            minRows={2}
            value={form.values.report}
            onChange={(e) => form.set('report', e.currentTarget.value)}
            error={form.err('report')}
          />
          {form.general && <Alert color="red">{form.general}</Alert>}
          <Group justify="flex-end">
            <Button
              onClick={() =>
                form.require(outcome === 'done' && w.faultNumber ? ['causeCode', 'report'] : ['report']) &&
                report.mutate()
              }
              loading={report.isPending}
              data-testid="report-work-order"
            >
              {t('workOrder.submitReport')}
            </Button>
          </Group>
        </Stack>
      )}
    </Paper>
  );
}
