import {
  Alert,
  Anchor,
  Badge,
  Button,
  Grid,
  Group,
  NumberInput,
  Paper,
  Stack,
  Text,
  Textarea,
  Timeline,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post } from '../../lib/api';
import { useCan, useMe } from '../../lib/auth';
import { dateTime, money } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Task } from '../backoffice/tasks';
import type { ComplaintDetail, Rebate } from './care';
import { Field, RebateDecision } from './CareParts';

/**
 * One complaint: what the customer disputes, its investigation and decision tasks (worked here by
 * the service and the supervisor whose basket holds them), the decision and the rebate it gave.
 */
export function ComplaintPage({ refCode }: { refCode: string }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['complaint', refCode],
    queryFn: () => get<ComplaintDetail>(`/api/v1/complaints/${encodeURIComponent(refCode)}`),
    refetchInterval: 5_000,
  });
  return (
    <QueryState query={q}>
      {(c) => {
        const current = c.workflow?.tasks.find(
          (k) => k.kind === 'human' && (k.status === 'ready' || k.status === 'claimed'),
        );
        return (
          <Stack data-testid="complaint-page">
            <Group gap="sm">
              <Title order={3}>
                {t('complaint.title')} {c.number}
              </Title>
              <StatusBadge status={c.status} />
              <Badge variant="outline" color="gray">
                {t(`complaint.categories.${c.category}`, { defaultValue: c.category })}
              </Badge>
            </Group>
            <Grid>
              <Grid.Col span={{ base: 12, md: 7 }}>
                <Paper withBorder p="md">
                  <Grid>
                    <Grid.Col span={12}>
                      <Field label={t('complaint.subject')}>{c.subject}</Field>
                    </Grid.Col>
                    <Grid.Col span={4}>
                      <Field label={t('care.customer')}>
                        <Anchor size="sm" onClick={() => navigate(`/customers/${c.customerId}`)}>
                          {t('request.customer')}
                        </Anchor>
                        {c.lineId && (
                          <>
                            {' · '}
                            <Anchor size="sm" onClick={() => navigate(`/lines/${c.lineId}`)}>
                              {c.lineId}
                            </Anchor>
                          </>
                        )}
                      </Field>
                    </Grid.Col>
                    <Grid.Col span={4}>
                      <Field label={t('complaint.disputed')}>
                        {money(c.disputedAmount)}
                        {c.invoiceNumber ? ` · ${c.invoiceNumber}` : ''}
                      </Field>
                    </Grid.Col>
                    <Grid.Col span={4}>
                      <Field label={t('complaint.openedAt')}>{dateTime(c.openedAt)}</Field>
                    </Grid.Col>
                    {c.description && (
                      <Grid.Col span={12}>
                        <Field label={t('complaint.description')}>{c.description}</Field>
                      </Grid.Col>
                    )}
                    {c.faultNumber && (
                      <Grid.Col span={4}>
                        <Field label={t('complaint.fault')}>
                          <Anchor size="sm" onClick={() => navigate(`/faults/${c.faultNumber}`)}>
                            {c.faultNumber}
                          </Anchor>
                        </Field>
                      </Grid.Col>
                    )}
                  </Grid>
                </Paper>
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 5 }}>
                <Paper withBorder p="md" data-testid="complaint-decision">
                  <Title order={5} mb={6}>
                    {t('complaint.decision')}
                  </Title>
                  {c.status === 'open' ? (
                    current ? (
                      <CurrentStep c={c} task={current} />
                    ) : (
                      <Text size="sm" c="dimmed">
                        {t('complaint.inProgress')}
                      </Text>
                    )
                  ) : (
                    <>
                      <Group gap="xs">
                        <StatusBadge status={c.status} />
                        <Text size="xs" c="dimmed">
                          {dateTime(c.decidedAt)}
                        </Text>
                      </Group>
                      {c.decisionReason && (
                        <Text size="sm" mt={6}>
                          {c.decisionReason}
                        </Text>
                      )}
                    </>
                  )}
                  {c.rebate && <ComplaintRebate number={c.rebate.number} />}
                </Paper>
              </Grid.Col>
            </Grid>
            <Grid>
              <Grid.Col span={{ base: 12, md: 6 }}>
                <Paper withBorder p="md">
                  <Title order={5} mb="sm">
                    {t('care.tasks')}
                  </Title>
                  {!c.workflow || c.workflow.tasks.length === 0 ? (
                    <Empty />
                  ) : (
                    <Timeline bulletSize={12} lineWidth={2} data-testid="complaint-tasks">
                      {c.workflow.tasks.map((k) => (
                        <Timeline.Item
                          key={k.id}
                          title={
                            <Group gap="xs">
                              <Text size="sm" fw={600}>
                                {k.label}
                              </Text>
                              <StatusBadge status={k.status} />
                              {k.outcome && (
                                <Badge size="xs" variant="outline">
                                  {t(`task.outcomes.${k.outcome}`, { defaultValue: k.outcome })}
                                </Badge>
                              )}
                            </Group>
                          }
                        >
                          <Text size="xs" c="dimmed">
                            {k.actor ?? '—'} · {dateTime(k.createdAt)}
                            {k.completedAt ? ` → ${dateTime(k.completedAt)}` : ''}
                          </Text>
                          <TaskData task={k} />
                        </Timeline.Item>
                      ))}
                    </Timeline>
                  )}
                </Paper>
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 6 }}>
                {c.notifications.length > 0 && (
                  <Paper withBorder p="md">
                    <Title order={5} mb="sm">
                      {t('care.notifications')}
                    </Title>
                    {c.notifications.map((n, i) => (
                      <Text size="sm" key={i}>
                        <Text span c="dimmed" size="xs">
                          {dateTime(n.at)} · {n.channel} · {n.recipient} —{' '}
                        </Text>
                        {n.text}
                      </Text>
                    ))}
                  </Paper>
                )}
              </Grid.Col>
            </Grid>
          </Stack>
        );
      }}
    </QueryState>
  );
}

/** What an agent typed when ending a task (findings, reason), read back from the task's result. */
function TaskData({ task }: { task: Task }) {
  const r = (task.result ?? {}) as { by?: string; data?: Record<string, unknown> };
  const text = ['findings', 'reason'].map((k) => r.data?.[k]).find((x) => typeof x === 'string') as
    string | undefined;
  if (!text) return null;
  return (
    <Text size="xs" data-testid="task-data">
      {r.by ? `${r.by} : ` : ''}
      {text}
    </Text>
  );
}

/** The rebate an accepted complaint gave: its amount and state, and the approval when allowed. */
function ComplaintRebate({ number }: { number: string }) {
  const { t } = useTranslation();
  const q = useQuery({
    queryKey: ['rebates', number],
    queryFn: () => get<Rebate>(`/api/v1/rebates/${number}`),
  });
  if (!q.data) return null;
  const r = q.data;
  return (
    <Paper withBorder p="sm" mt="sm" data-testid="complaint-rebate">
      <Group gap="xs" mb={4}>
        <Text size="xs" c="dimmed">
          {t('complaint.rebate')}
        </Text>
        <Text size="sm" ff="monospace">
          {r.number}
        </Text>
        <Text size="sm" fw={700}>
          {money(r.amount, r.currency)}
        </Text>
        <StatusBadge status={r.status} />
      </Group>
      <RebateDecision r={r} />
    </Paper>
  );
}

/**
 * The step the complaint waits for. Its agents (or a supervisor) end it here: the investigation with
 * findings, the decision with the reason given to the customer and, when accepted, the rebate.
 */
function CurrentStep({ c, task }: { c: ComplaintDetail; task: Task }) {
  const { t } = useTranslation();
  const me = useMe();
  const can = useCan();
  const qc = useQueryClient();
  const deciding = task.node === 'decide';
  const form = useApiForm(
    deciding
      ? {
          'data.reason': '',
          'data.amount': c.disputedAmount ? String(c.disputedAmount) : '',
          'data.outageMinutes': '',
        }
      : { 'data.findings': '', 'data.recommendedAmount': '' },
  );
  const complete = useMutation({
    mutationFn: (outcome: string) => {
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(form.values)) {
        const name = k.slice('data.'.length);
        if (!v.trim()) continue;
        data[name] = ['amount', 'outageMinutes', 'recommendedAmount'].includes(name) ? Number(v) : v.trim();
      }
      // A rejection gives no rebate: the amount typed for an acceptance is not sent.
      if (outcome === 'rejected') {
        delete data.amount;
        delete data.outageMinutes;
      }
      return post<Task>(`/api/v1/tasks/${task.id}/complete`, { outcome, data });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['complaint', c.number] });
      void qc.invalidateQueries({ queryKey: ['complaints'] });
      notifications.show({
        color: 'green',
        message: t(deciding ? 'complaint.decided' : 'complaint.investigated'),
      });
    },
    onError: form.fail,
  });
  const mine =
    can('task:work') &&
    (can('task:supervise') || (task.actor !== null && me.actors.includes(task.actor))) &&
    (task.status === 'ready' || task.assigneeId === me.id || can('task:supervise'));
  if (!mine)
    return (
      <Text size="sm" c="dimmed" data-testid="complaint-waiting">
        {t('complaint.waiting', { label: task.label, actor: task.actor ?? '—' })}
      </Text>
    );
  const num = (k: string, label: string) => (
    <NumberInput
      label={label}
      min={1}
      allowDecimal={false}
      thousandSeparator=" "
      value={form.values[k] ?? ''}
      onChange={(n) => form.set(k, n === '' ? '' : String(n))}
      error={form.err(k)}
    />
  );
  return (
    <Stack gap="xs" data-testid={deciding ? 'complaint-decide' : 'complaint-investigate'}>
      <Text size="sm" fw={600}>
        {deciding ? t('complaint.decide') : t('complaint.investigate')}
      </Text>
      {deciding ? (
        <>
          <Textarea
            label={t('complaint.decisionReason')}
            withAsterisk
            autosize
            minRows={2}
            value={form.values['data.reason']}
            onChange={(e) => form.set('data.reason', e.currentTarget.value)}
            error={form.err('data.reason')}
          />
          <Group grow>
            {num('data.amount', t('complaint.amount'))}
            {num('data.outageMinutes', t('complaint.outageMinutes'))}
          </Group>
          <Group>
            <Button
              color="green"
              loading={complete.isPending && complete.variables === 'accepted'}
              onClick={() => form.require(['data.reason']) && complete.mutate('accepted')}
              data-testid="accept-complaint"
            >
              {t('complaint.accept')}
            </Button>
            <Button
              variant="default"
              loading={complete.isPending && complete.variables === 'rejected'}
              onClick={() => form.require(['data.reason']) && complete.mutate('rejected')}
              data-testid="reject-complaint"
            >
              {t('complaint.reject')}
            </Button>
          </Group>
        </>
      ) : (
        <>
          <Textarea
            label={t('complaint.findings')}
            withAsterisk
            autosize
            minRows={2}
            value={form.values['data.findings']}
            onChange={(e) => form.set('data.findings', e.currentTarget.value)}
            error={form.err('data.findings')}
          />
          {num('data.recommendedAmount', t('complaint.recommendedAmount'))}
          <Group>
            <Button
              loading={complete.isPending}
              onClick={() => form.require(['data.findings']) && complete.mutate('done')}
              data-testid="submit-findings"
            >
              {t('complaint.submitFindings')}
            </Button>
          </Group>
        </>
      )}
      {form.general && (
        <Alert color="red" data-testid="complaint-step-error">
          {form.general}
        </Alert>
      )}
    </Stack>
  );
}
