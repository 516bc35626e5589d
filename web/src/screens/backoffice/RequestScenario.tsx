import { Badge, Grid, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ExplanationView } from '../../components/scenario/Explanation';
import { requestMarks, taskMark, withEnd } from '../../components/scenario/graph';
import { ScenarioDiagram } from '../../components/scenario/ScenarioDiagram';
import type { ScenarioVersion } from '../../components/scenario/types';
import { QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { dateTime } from '../../lib/format';
import type { Actor } from '../../lib/types';
import type { Task } from './tasks';

/**
 * A request's (or a fault's) scenario as a diagram: where it stands (open tasks highlighted, done
 * ones ticked, transitions taken in green) and, for the chosen node, why each of its tasks went there.
 */
export function RequestScenario({
  workflow,
  title,
}: {
  workflow: { scenario: string; scenarioVersion: number; status: string; tasks: Task[] };
  title?: string;
}) {
  const { t } = useTranslation();
  const scenario = useQuery({
    queryKey: ['scenario', workflow.scenario, workflow.scenarioVersion],
    queryFn: () =>
      get<ScenarioVersion>(
        `/api/v1/scenarios/${encodeURIComponent(workflow.scenario)}${qs({ version: workflow.scenarioVersion })}`,
      ),
    staleTime: Infinity,
  });
  const actors = useQuery({ queryKey: ['actors'], queryFn: () => get<Actor[]>('/api/v1/actors') });
  const tasks = workflow.tasks;
  const marks = useMemo(() => requestMarks(tasks), [tasks]);
  const current = tasks.find((k) => taskMark(k.status) === 'current') ?? tasks.at(-1);
  const [picked, setPicked] = useState<string | null>(null);
  const selected = picked ?? current?.node ?? null;
  const ofNode = tasks.filter((k) => k.node === selected);
  const actorName = (code: string) => actors.data?.find((a) => a.code === code)?.name ?? code;
  return (
    <Paper withBorder p="md" data-testid="request-scenario">
      <Title order={5} mb="sm">
        {title ?? t('scenario.ofRequest')}
      </Title>
      <QueryState query={scenario}>
        {(v) => (
          <Grid>
            <Grid.Col span={{ base: 12, md: 8 }}>
              <ScenarioDiagram
                def={v.definition}
                marks={withEnd(v.definition, marks, workflow.status)}
                selected={selected}
                onSelect={setPicked}
                actorName={actorName}
                maxHeight={560}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 4 }}>
              {selected && v.definition.nodes[selected] ? (
                <Stack gap="xs" data-testid="node-panel">
                  <Group gap="xs">
                    <Text fw={600} size="sm">
                      {v.definition.nodes[selected].label}
                    </Text>
                    <Badge size="xs" variant="outline">
                      {t(`scenario.kinds.${v.definition.nodes[selected].kind}`)}
                    </Badge>
                  </Group>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {selected}
                  </Text>
                  {ofNode.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      {t('scenario.notReached')}
                    </Text>
                  ) : (
                    ofNode.map((k) => (
                      <Paper key={k.id} withBorder p="xs">
                        <Group gap="xs" mb={4}>
                          <StatusBadge status={k.status} />
                          {k.outcome && (
                            <Badge size="xs" variant="outline">
                              {k.outcome}
                            </Badge>
                          )}
                          <Text size="xs" c="dimmed">
                            {dateTime(k.createdAt)}
                          </Text>
                        </Group>
                        <ExplanationView explanation={k.explanation} />
                        {k.holdCause && (
                          <Text size="xs" c="orange.8" mt={2}>
                            {k.holdCause}
                          </Text>
                        )}
                        {k.lastError && (
                          <Text size="xs" c="red" mt={2}>
                            {k.lastError}
                          </Text>
                        )}
                      </Paper>
                    ))
                  )}
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  {t('scenario.pickNode')}
                </Text>
              )}
            </Grid.Col>
          </Grid>
        )}
      </QueryState>
    </Paper>
  );
}
