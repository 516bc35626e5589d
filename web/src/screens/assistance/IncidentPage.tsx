import {
  Alert,
  Anchor,
  Button,
  Grid,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import { incidentScope, type Incident } from './care';
import { Field } from './CareParts';

/** One plant incident: the lines it hits, the faults attached to it, and its repair. */
export function IncidentPage({ refCode }: { refCode: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const q = useQuery({
    queryKey: ['incident', refCode],
    queryFn: () => get<Incident>(`/api/v1/incidents/${encodeURIComponent(refCode)}`),
    refetchInterval: 10_000,
  });
  const links = (numbers: string[], to: (n: string) => string, testid: string) =>
    numbers.length === 0 ? (
      <Empty />
    ) : (
      <Group gap="xs" data-testid={testid}>
        {numbers.map((n) => (
          <Anchor key={n} size="sm" ff="monospace" onClick={() => navigate(to(n))}>
            {n}
          </Anchor>
        ))}
      </Group>
    );
  return (
    <QueryState query={q}>
      {(i) => (
        <Stack data-testid="incident-page">
          <Group gap="sm">
            <Title order={3}>
              {t('incident.title')} {i.number}
            </Title>
            <StatusBadge status={i.status} />
          </Group>
          <Grid>
            <Grid.Col span={{ base: 12, md: 7 }}>
              <Paper withBorder p="md">
                <Grid>
                  <Grid.Col span={6}>
                    <Field label={t('incident.scope')}>{incidentScope(i, t)}</Field>
                  </Grid.Col>
                  <Grid.Col span={6}>
                    <Field label={t('incident.zone')}>{i.zone ?? '—'}</Field>
                  </Grid.Col>
                  <Grid.Col span={12}>
                    <Field label={t('incident.description')}>{i.description}</Field>
                  </Grid.Col>
                  <Grid.Col span={6}>
                    <Field label={t('incident.openedAt')}>{dateTime(i.openedAt)}</Field>
                  </Grid.Col>
                  <Grid.Col span={6}>
                    <Field label={t('incident.repairedAt')}>{dateTime(i.repairedAt)}</Field>
                  </Grid.Col>
                  {i.repairReport && (
                    <Grid.Col span={12}>
                      <Field label={t('incident.repairReport')}>{i.repairReport}</Field>
                    </Grid.Col>
                  )}
                </Grid>
              </Paper>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5 }}>
              {i.repair && (
                <Alert color="green" title={t('incident.repair')} data-testid="repair-summary">
                  {t('incident.repairSummary', {
                    faults: i.repair.faultsClosed,
                    requests: i.repair.requestsResumed.length,
                  })}
                  {i.repair.requestsResumed.length > 0 && (
                    <Text size="xs" mt={4}>
                      {t('incident.resumed')}: {i.repair.requestsResumed.join(', ')}
                    </Text>
                  )}
                </Alert>
              )}
              {i.status === 'open' && can('incident:write') && <RepairIncident i={i} />}
            </Grid.Col>
          </Grid>
          <Grid>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('incident.lines')} ({i.lines.length})
                </Title>
                {links(i.lines, (n) => `/lines/${n}`, 'incident-lines')}
              </Paper>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Paper withBorder p="md">
                <Title order={5} mb="sm">
                  {t('incident.openFaults')}
                </Title>
                {links(i.openFaults, (n) => `/faults/${n}`, 'incident-open-faults')}
                {i.closedFaults.length > 0 && (
                  <>
                    <Title order={6} mt="sm" mb={4}>
                      {t('incident.closedFaults')}
                    </Title>
                    {links(i.closedFaults, (n) => `/faults/${n}`, 'incident-closed-faults')}
                  </>
                )}
              </Paper>
            </Grid.Col>
          </Grid>
          <Paper withBorder p="md" style={{ overflowX: 'auto' }}>
            <Title order={5} mb="sm">
              {t('incident.pairs')} ({i.pairs.length})
            </Title>
            {i.pairs.length === 0 ? (
              <Empty />
            ) : (
              <Table data-testid="incident-pairs">
                <Table.Tbody>
                  {i.pairs.map((p) => (
                    <Table.Tr key={p.id}>
                      <Table.Td ff="monospace">
                        {p.cable} / {p.number}
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" c="dimmed" span>
                          {t('incident.before')}{' '}
                        </Text>
                        <StatusBadge status={p.previous} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {i.skipped.length > 0 && (
              <Text size="xs" c="dimmed" mt="xs">
                {t('incident.skipped')}:{' '}
                {i.skipped.map((p) => `${p.cable}/${p.number} (${p.status})`).join(', ')}
              </Text>
            )}
          </Paper>
        </Stack>
      )}
    </QueryState>
  );
}

/** The repair: the pairs go back, the attached faults close, the requests held on them are re-studied. */
function RepairIncident({ i }: { i: Incident }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const form = useApiForm({ report: '' });
  const repair = useMutation({
    mutationFn: () =>
      post<Incident>(`/api/v1/incidents/${i.number}/repair`, { report: form.values.report?.trim() }),
    onSuccess: (x) => {
      qc.setQueryData(['incident', i.number], x);
      void qc.invalidateQueries({ queryKey: ['incidents'] });
      notifications.show({ color: 'green', message: t('incident.repaired', { number: x.number }) });
    },
    onError: form.fail,
  });
  return (
    <Paper withBorder p="md" data-testid="incident-repair">
      <Textarea
        label={t('incident.repairReport')}
        withAsterisk
        autosize
        minRows={2}
        value={form.values.report}
        onChange={(e) => form.set('report', e.currentTarget.value)}
        error={form.err('report')}
      />
      {form.general && (
        <Alert color="red" mt="sm">
          {form.general}
        </Alert>
      )}
      <Group justify="flex-end" mt="sm">
        <Button
          color="green"
          loading={repair.isPending}
          onClick={() => form.require(['report']) && repair.mutate()}
          data-testid="repair-incident"
        >
          {t('incident.repair')}
        </Button>
      </Group>
    </Paper>
  );
}
