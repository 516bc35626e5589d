import {
  Alert,
  Badge,
  Button,
  FileButton,
  Grid,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { issueMarks } from '../../components/scenario/graph';
import { layoutScenario } from '../../components/scenario/layout';
import { ScenarioDiagram } from '../../components/scenario/ScenarioDiagram';
import type {
  ScenarioDef,
  ScenarioIssue,
  ScenarioSummary,
  ScenarioVersion,
} from '../../components/scenario/types';
import { Empty, QueryState } from '../../components/States';
import { get, post, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useErrorText } from '../../lib/form';
import { navigate, useLocation } from '../../lib/router';
import type { Actor } from '../../lib/types';
import { SimulatePanel } from './SimulatePanel';

/** Administration → scenarios: list, versions, diagram, upload a new version, validate, simulate. */
export function Scenarios() {
  const { t } = useTranslation();
  const { query } = useLocation();
  const code = query.get('code');
  const can = useCan();
  const list = useQuery({
    queryKey: ['scenarios'],
    queryFn: () => get<ScenarioSummary[]>('/api/v1/scenarios'),
  });
  const actors = useQuery({ queryKey: ['actors'], queryFn: () => get<Actor[]>('/api/v1/actors') });
  const actorName = (c: string) => actors.data?.find((a) => a.code === c)?.name ?? c;
  const [uploading, setUploading] = useState(false);
  const open = (c: string) => {
    setUploading(false);
    navigate(`/admin/scenarios${qs({ code: c })}`, true);
  };
  return (
    <Stack data-testid="scenarios">
      <Group justify="space-between">
        <Title order={3}>{t('nav.scenarios')}</Title>
        {can('scenario:admin') && (
          <Button size="xs" onClick={() => setUploading(true)} data-testid="upload-scenario">
            {t('scenario.upload')}
          </Button>
        )}
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <QueryState query={list}>
            {(rows) =>
              rows.length === 0 ? (
                <Empty />
              ) : (
                <Paper withBorder>
                  <Table highlightOnHover data-testid="scenario-list">
                    <Table.Tbody>
                      {rows.map((s) => (
                        <Table.Tr
                          key={s.code}
                          onClick={() => open(s.code)}
                          style={{ cursor: 'pointer' }}
                          bg={s.code === code && !uploading ? 'indigo.0' : undefined}
                        >
                          <Table.Td>
                            <Text size="sm" fw={500} lineClamp={2}>
                              {s.name}
                            </Text>
                            <Group gap={4}>
                              <Text size="xs" c="dimmed" ff="monospace">
                                {s.code}
                              </Text>
                              <Badge size="xs" variant="light">
                                v{s.version}
                              </Badge>
                            </Group>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Paper>
              )
            }
          </QueryState>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 9 }}>
          {uploading ? (
            <UploadPanel
              actorName={actorName}
              onSaved={(v) => open(v.code)}
              onCancel={() => setUploading(false)}
            />
          ) : code ? (
            <ScenarioDetail key={code} code={code} actorName={actorName} />
          ) : (
            <Text c="dimmed" size="sm">
              {t('scenario.pick')}
            </Text>
          )}
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function ScenarioDetail({ code, actorName }: { code: string; actorName: (c: string) => string }) {
  const { t } = useTranslation();
  const can = useCan();
  const versions = useQuery({
    queryKey: ['scenario-versions', code],
    queryFn: () => get<ScenarioVersion[]>(`/api/v1/scenarios/${encodeURIComponent(code)}/versions`),
  });
  const [version, setVersion] = useState<number | null>(null);
  return (
    <QueryState query={versions}>
      {(all) => {
        const sorted = [...all].sort((a, b) => b.version - a.version);
        const v = sorted.find((x) => x.version === version) ?? sorted[0];
        if (!v) return <Empty />;
        return (
          <Stack gap="sm" data-testid="scenario-detail">
            <Group justify="space-between" align="flex-end">
              <div>
                <Title order={4}>{v.definition.name}</Title>
                <Text size="xs" c="dimmed">
                  <Text span ff="monospace">
                    {v.code}
                  </Text>{' '}
                  · {t('scenario.versionOf', { version: v.version, date: dateTime(v.createdAt) })}
                </Text>
              </div>
              <Group gap="xs" align="flex-end">
                <Select
                  size="xs"
                  w={130}
                  label={t('scenario.version')}
                  value={String(v.version)}
                  allowDeselect={false}
                  onChange={(x) => setVersion(Number(x))}
                  data={sorted.map((x) => ({ value: String(x.version), label: `v${x.version}` }))}
                />
                {can('scenario:admin') && (
                  <Button
                    size="xs"
                    variant="default"
                    component="a"
                    href={`/api/v1/scenarios/${encodeURIComponent(code)}/export${qs({ version: v.version })}`}
                  >
                    {t('scenario.export')}
                  </Button>
                )}
              </Group>
            </Group>
            {v.definition.description && <Text size="sm">{v.definition.description}</Text>}
            <SimulatePanel
              source={{ code: v.code, version: v.version }}
              def={v.definition}
              actorName={actorName}
            />
          </Stack>
        );
      }}
    </QueryState>
  );
}

interface Draft {
  fileName: string;
  doc: unknown;
  def: ScenarioDef | null;
  parseError: string | null;
  issues: ScenarioIssue[] | null;
}

/** A scenario file read, validated by the server (every issue shown where it is), simulated, saved. */
function UploadPanel({
  actorName,
  onSaved,
  onCancel,
}: {
  actorName: (c: string) => string;
  onSaved: (v: ScenarioVersion) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const validate = useMutation({
    mutationFn: (doc: unknown) =>
      post<{ valid: boolean; issues: ScenarioIssue[] }>('/api/v1/scenarios/validate', doc),
    onSuccess: (r) => setDraft((d) => (d ? { ...d, issues: r.issues } : d)),
    onError: (e) => setFailure(errorText(e)),
  });
  const save = useMutation({
    mutationFn: (doc: unknown) => post<ScenarioVersion>('/api/v1/scenarios/import', doc),
    onSuccess: (v) => {
      void qc.invalidateQueries({ queryKey: ['scenarios'] });
      void qc.invalidateQueries({ queryKey: ['scenario-versions', v.code] });
      notifications.show({
        color: 'green',
        message: t('scenario.saved', { code: v.code, version: v.version }),
      });
      onSaved(v);
    },
    onError: (e) => setFailure(errorText(e)),
  });
  const read = async (file: File | null) => {
    setFailure(null);
    if (!file) return;
    const text = await file.text();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      setDraft({ fileName: file.name, doc: null, def: null, parseError: (e as Error).message, issues: null });
      return;
    }
    const looksLike =
      !!doc && typeof doc === 'object' && 'nodes' in doc && 'transitions' in doc && 'start' in doc;
    setDraft({
      fileName: file.name,
      doc,
      def: looksLike ? (doc as ScenarioDef) : null,
      parseError: null,
      issues: null,
    });
    validate.mutate(doc);
  };
  const valid = draft?.issues?.length === 0;
  const marks = useMemo(
    () => (draft?.issues?.length ? issueMarks(draft.def, draft.issues) : undefined),
    [draft],
  );
  return (
    <Stack gap="sm" data-testid="upload-panel">
      <Group justify="space-between">
        <Title order={4}>{t('scenario.upload')}</Title>
        <Button size="xs" variant="default" onClick={onCancel}>
          {t('common.cancel')}
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('scenario.uploadHint')}
      </Text>
      <Group>
        <FileButton onChange={(f) => void read(f)} accept="application/json,.json">
          {(props) => (
            <Button {...props} variant="light" data-testid="choose-file">
              {t('scenario.chooseFile')}
            </Button>
          )}
        </FileButton>
        {draft && <Text size="sm">{draft.fileName}</Text>}
      </Group>
      {draft?.parseError && (
        <Alert color="red" title={t('scenario.notJson')} data-testid="parse-error">
          {draft.parseError}
        </Alert>
      )}
      {failure && <Alert color="red">{failure}</Alert>}
      {draft?.issues && draft.issues.length > 0 && (
        <Paper withBorder data-testid="issues">
          <Text size="sm" fw={600} c="red" p="xs">
            {t('scenario.issues', { count: draft.issues.length })}
          </Text>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('scenario.where')}</Table.Th>
                <Table.Th>{t('scenario.problem')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {draft.issues.map((i, n) => (
                <Table.Tr key={n}>
                  <Table.Td ff="monospace" fz="xs">
                    {i.path || '/'}
                  </Table.Td>
                  <Table.Td fz="sm">{i.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      {valid && (
        <Alert color="green" data-testid="valid">
          <Group justify="space-between">
            <Text size="sm">{t('scenario.valid')}</Text>
            <Button
              size="xs"
              onClick={() => save.mutate(draft.doc)}
              loading={save.isPending}
              data-testid="save-version"
            >
              {t('scenario.saveVersion')}
            </Button>
          </Group>
        </Alert>
      )}
      {draft?.def && valid && (
        <SimulatePanel source={{ definition: draft.doc }} def={draft.def} actorName={actorName} />
      )}
      {draft?.def && !valid && draft.issues && (
        <SafeDiagram def={draft.def} marks={marks} actorName={actorName} />
      )}
    </Stack>
  );
}

/** An invalid draft may not even be drawable (a transition to a missing node): say so, do not crash. */
function SafeDiagram(props: Parameters<typeof ScenarioDiagram>[0]) {
  const { t } = useTranslation();
  let drawable = true;
  try {
    const nodes = Object.values(props.def.nodes ?? {});
    if (!Array.isArray(props.def.transitions) || nodes.some((n) => typeof n?.label !== 'string'))
      drawable = false;
    else layoutScenario(props.def);
  } catch {
    drawable = false;
  }
  if (drawable) return <ScenarioDiagram {...props} />;
  return (
    <Text size="sm" c="dimmed">
      {t('scenario.notDrawable')}
    </Text>
  );
}
