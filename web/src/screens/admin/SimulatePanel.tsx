import { Alert, Badge, Button, Grid, Group, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { simulationMarks } from '../../components/scenario/graph';
import { ScenarioDiagram } from '../../components/scenario/ScenarioDiagram';
import type { ScenarioDef, SimulationResult } from '../../components/scenario/types';
import { post } from '../../lib/api';
import { useErrorText } from '../../lib/form';

const RESULT_COLOUR: Record<SimulationResult['result'], string> = {
  completed: 'green',
  rejected: 'red',
  cancelled: 'gray',
  stuck: 'orange',
};

/** Sample data a new-line request carries, to start from when trying a scenario. */
const SAMPLE = JSON.stringify({ depositDue: 0, invoice: { total: 15000 }, category: 'RES' }, null, 2);

function parseObject(text: string): Record<string, unknown> | string {
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return 'an object { … } is expected';
    return v as Record<string, unknown>;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The diagram of a scenario with a simulator beside it: sample data and the outcomes to choose, run
 * by the server's own routing functions with no side effect, and the path drawn on the diagram.
 */
export function SimulatePanel({
  source,
  def,
  actorName,
}: {
  source: { code: string; version: number } | { definition: unknown };
  def: ScenarioDef;
  actorName: (c: string) => string;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const [data, setData] = useState(SAMPLE);
  const [outcomes, setOutcomes] = useState('{}');
  const [errors, setErrors] = useState<{ data?: string; outcomes?: string; general?: string }>({});
  const run = useMutation({
    mutationFn: (body: Record<string, unknown>) => post<SimulationResult>('/api/v1/scenarios/simulate', body),
    onError: (e) => setErrors({ general: errorText(e) }),
  });
  const simulate = () => {
    const d = parseObject(data);
    const o = parseObject(outcomes);
    const next: typeof errors = {};
    if (typeof d === 'string') next.data = d;
    if (typeof o === 'string') next.outcomes = o;
    setErrors(next);
    if (typeof d === 'string' || typeof o === 'string') return;
    run.mutate({ ...source, data: d, outcomes: o });
  };
  const result = run.data;
  const marks = useMemo(() => (result ? simulationMarks(def, result.steps) : undefined), [def, result]);
  return (
    <Grid>
      <Grid.Col span={{ base: 12, lg: 8 }}>
        <ScenarioDiagram def={def} marks={marks} actorName={actorName} maxHeight={620} />
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 4 }}>
        <Paper withBorder p="sm" data-testid="simulate">
          <Title order={5} mb={4}>
            {t('scenario.simulate')}
          </Title>
          <Text size="xs" c="dimmed" mb="xs">
            {t('scenario.simulateHint')}
          </Text>
          <Stack gap="xs">
            <Textarea
              label={t('scenario.sampleData')}
              autosize
              minRows={4}
              maxRows={10}
              ff="monospace"
              value={data}
              onChange={(e) => setData(e.currentTarget.value)}
              error={errors.data}
              data-testid="sim-data"
            />
            <Textarea
              label={t('scenario.outcomes')}
              description={t('scenario.outcomesHint')}
              autosize
              minRows={2}
              maxRows={8}
              ff="monospace"
              value={outcomes}
              onChange={(e) => setOutcomes(e.currentTarget.value)}
              error={errors.outcomes}
              data-testid="sim-outcomes"
            />
            {errors.general && <Alert color="red">{errors.general}</Alert>}
            <Button size="xs" onClick={simulate} loading={run.isPending} data-testid="run-simulation">
              {t('scenario.run')}
            </Button>
          </Stack>
        </Paper>
      </Grid.Col>
      {result && (
        <Grid.Col span={12}>
          <Paper withBorder data-testid="simulation-path">
            <Group p="xs" gap="xs">
              <Text size="sm" fw={600}>
                {t('scenario.path')}
              </Text>
              <Badge color={RESULT_COLOUR[result.result]} data-testid="simulation-result">
                {t(`scenario.results.${result.result}`)}
              </Badge>
            </Group>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>{t('scenario.step')}</Table.Th>
                  <Table.Th>{t('scenario.actor')}</Table.Th>
                  <Table.Th>{t('scenario.outcome')}</Table.Th>
                  <Table.Th>{t('scenario.next')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {result.steps.map((s, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>{i + 1}</Table.Td>
                    <Table.Td>
                      <Text size="sm">{s.label}</Text>
                      <Text size="xs" c="dimmed" ff="monospace">
                        {s.node}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {s.actor ? (
                        <>
                          <Text size="sm">{actorName(s.actor)}</Text>
                          {s.actorWhy && (
                            <Text size="xs" c="dimmed">
                              {s.actorWhy}
                            </Text>
                          )}
                        </>
                      ) : (
                        '—'
                      )}
                    </Table.Td>
                    <Table.Td>{s.outcome ?? '—'}</Table.Td>
                    <Table.Td>
                      {s.next ? (
                        <>
                          <Text size="sm">→ {s.next.to.join(', ')}</Text>
                          <Text size="xs" c="dimmed">
                            {s.next.why}
                          </Text>
                          {s.next.considered.length > 1 &&
                            s.next.considered.map((c, j) => (
                              <Text size="xs" key={j} c={c.taken ? 'green.8' : 'dimmed'}>
                                {c.taken ? '✓' : '✗'} {c.to.join(', ')} : {c.because}
                              </Text>
                            ))}
                        </>
                      ) : (
                        <Text size="xs" c={s.kind === 'end' ? 'dimmed' : 'orange.8'}>
                          {s.note ?? ''}
                        </Text>
                      )}
                      {s.next && s.note && (
                        <Text size="xs" c="dimmed">
                          {s.note}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Paper>
        </Grid.Col>
      )}
    </Grid>
  );
}
