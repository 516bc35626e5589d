import {
  Alert,
  Badge,
  Button,
  Checkbox,
  FileButton,
  Group,
  Paper,
  ScrollArea,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { useErrorText } from '../../lib/form';
import { csvRows, download, upload } from '../../lib/transfer';
import { JobProgress, type Phase } from './JobProgress';
import { count } from '../../lib/format';

/** The plant's resource types a CSV file can load (src/modules/inventory/csv.specs.ts), parents first. */
const INVENTORY_TYPES = [
  'sites',
  'switches',
  'mdfs',
  'sdfs',
  'cps',
  'cables',
  'ports',
  'pairs',
  'base_stations',
  'serving_areas',
  'shops',
  'sims',
] as const;

interface RejectedRow {
  line: number;
  key?: string;
  field?: string;
  reason?: string;
  reasons?: string[];
}

/** The two import reports (inventory, directory) read the same way by people. */
interface Report {
  counts: [string, number][];
  rejected: RejectedRow[];
  committed: boolean;
}

function inventoryReport(r: {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}): Report {
  const committed = r.rejected.length === 0;
  return {
    // A refused file was rolled back whole: what it would have created is not worth showing.
    counts: committed
      ? [
          ['rows', r.rows],
          ['created', r.created],
          ['updated', r.updated],
          ['unchanged', r.unchanged],
        ]
      : [
          ['rows', r.rows],
          ['rejected', r.rejected.length],
        ],
    rejected: r.rejected,
    committed,
  };
}

function directoryReport(r: {
  rows: number;
  accepted: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
  committed: boolean;
}): Report {
  return {
    counts: [
      ['rows', r.rows],
      ['accepted', r.accepted],
      ['created', r.inserted],
      ['updated', r.updated],
      ['unchanged', r.unchanged],
      ['rejected', r.rejected.length],
    ],
    rejected: r.rejected,
    committed: r.committed,
  };
}

const SHOWN = 500;

function ReportView({ report }: { report: Report }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" data-testid="import-report">
      <Alert color={report.committed ? 'green' : report.rejected.length ? 'red' : 'yellow'} p="xs">
        {report.committed ? t('jobs.committed') : t('jobs.notCommitted')}
      </Alert>
      <Group gap="xs">
        {report.counts.map(([k, n]) => (
          <Badge
            key={k}
            size="lg"
            variant="light"
            color={k === 'rejected' && n > 0 ? 'red' : 'indigo'}
            data-testid={`count-${k}`}
          >
            {t(`jobs.counts.${k}`)} : {count(n)}
          </Badge>
        ))}
      </Group>
      {report.rejected.length > 0 && (
        <Paper withBorder data-testid="rejected-rows">
          <Text size="sm" fw={600} p="xs">
            {t('jobs.rejectedRows', { count: report.rejected.length })}
            {report.rejected.length > SHOWN ? ` — ${t('jobs.firstShown', { n: SHOWN })}` : ''}
          </Text>
          <ScrollArea.Autosize mah={320}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('jobs.line')}</Table.Th>
                  <Table.Th>{t('jobs.key')}</Table.Th>
                  <Table.Th>{t('jobs.reasons')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.rejected.slice(0, SHOWN).map((r, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>{r.line}</Table.Td>
                    <Table.Td ff="monospace" fz="xs">
                      {r.key ?? r.field ?? '—'}
                    </Table.Td>
                    <Table.Td fz="sm">{(r.reasons ?? [r.reason ?? '']).join(' · ')}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        </Paper>
      )}
    </Stack>
  );
}

/** Picks a CSV file, sends it with a progress bar, shows the server's report (rejected rows included). */
function ImportJob({ kind, testId }: { kind: 'inventory' | 'directory'; testId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const [type, setType] = useState<string>('sites');
  const [file, setFile] = useState<{ name: string; size: number; text: string; rows: number } | null>(null);
  const [strict, setStrict] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = phase.kind === 'sending' || phase.kind === 'working';
  const pick = async (f: File | null) => {
    setReport(null);
    setError(null);
    setPhase({ kind: 'idle' });
    if (!f) return;
    const text = await f.text();
    setFile({ name: f.name, size: f.size, text, rows: csvRows(text) });
  };
  const start = async () => {
    if (!file) return;
    setReport(null);
    setError(null);
    const working = () => setPhase({ kind: 'working', since: Date.now(), rows: file.rows });
    const sending = (p: { loaded: number; total: number | null }) =>
      setPhase({ kind: 'sending', progress: p });
    try {
      if (kind === 'inventory') {
        const r = await upload<Parameters<typeof inventoryReport>[0]>(
          `/api/v1/inventory/import/${type}`,
          JSON.stringify({ csv: file.text }),
          'application/json',
          sending,
          working,
        );
        setReport(inventoryReport(r));
        void qc.invalidateQueries({ queryKey: ['inv'] });
      } else {
        const q = new URLSearchParams();
        if (strict) q.set('strict', 'true');
        if (dryRun) q.set('dryRun', 'true');
        const r = await upload<Parameters<typeof directoryReport>[0]>(
          `/api/v1/directory/import${q.size ? `?${q}` : ''}`,
          file.text,
          'text/csv',
          sending,
          working,
        );
        setReport(directoryReport(r));
      }
      setPhase({ kind: 'done' });
    } catch (e) {
      setPhase({ kind: 'failed' });
      // A refused inventory file carries its report: every bad row with its reasons.
      const details =
        e instanceof ApiError ? (e.details?.report as Parameters<typeof inventoryReport>[0]) : undefined;
      if (details?.rejected) setReport(inventoryReport(details));
      else setError(errorText(e));
    }
  };
  return (
    <Paper withBorder p="md" data-testid={testId}>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t(`jobs.${kind}Hint`)}
        </Text>
        <Group align="flex-end">
          {kind === 'inventory' && (
            <Select
              label={t('jobs.type')}
              w={220}
              allowDeselect={false}
              value={type}
              onChange={(v) => v && setType(v)}
              data={INVENTORY_TYPES.map((x) => ({ value: x, label: t(`jobs.types.${x}`) }))}
              data-testid="import-type"
            />
          )}
          <FileButton onChange={(f) => void pick(f)} accept=".csv,text/csv,text/plain">
            {(props) => (
              <Button {...props} variant="light" disabled={busy} data-testid="choose-csv">
                {t('jobs.chooseFile')}
              </Button>
            )}
          </FileButton>
          {kind === 'directory' && (
            <>
              <Checkbox
                mb={8}
                label={t('jobs.strict')}
                checked={strict}
                onChange={(e) => setStrict(e.currentTarget.checked)}
              />
              <Checkbox
                mb={8}
                label={t('jobs.dryRun')}
                checked={dryRun}
                onChange={(e) => setDryRun(e.currentTarget.checked)}
              />
            </>
          )}
          <Button onClick={() => void start()} disabled={!file} loading={busy} data-testid="start-import">
            {t('jobs.start')}
          </Button>
        </Group>
        {file && (
          <Text size="sm" data-testid="file-info">
            {t('jobs.file', {
              name: file.name,
              rows: count(file.rows),
              size: Math.ceil(file.size / 1024),
            })}
          </Text>
        )}
        <JobProgress phase={phase} />
        {error && (
          <Alert color="red" data-testid="import-error">
            {error}
          </Alert>
        )}
        {report && <ReportView report={report} />}
      </Stack>
    </Paper>
  );
}

const EDITIONS = ['alphabetical', 'professional', 'technical'] as const;

/** Produces a directory edition (PDF) with the server's work and the download shown as they go. */
function EditionJob() {
  const { t } = useTranslation();
  const can = useCan();
  const errorText = useErrorText();
  const [directory, setDirectory] = useState<string>('alphabetical');
  const [locality, setLocality] = useState('');
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [result, setResult] = useState<{ url: string; pages: number | null; size: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => () => (result ? URL.revokeObjectURL(result.url) : undefined), [result]);
  const busy = phase.kind === 'working' || phase.kind === 'receiving';
  const query = locality.trim() ? `?locality=${encodeURIComponent(locality.trim())}` : '';
  const start = async () => {
    setError(null);
    setResult(null);
    setPhase({ kind: 'working', since: Date.now() });
    try {
      const { blob, headers } = await download(`/api/v1/directory/editions/${directory}/pdf${query}`, (p) =>
        setPhase({ kind: 'receiving', progress: p }),
      );
      const pages = Number(headers.get('x-edition-pages'));
      setResult({
        url: URL.createObjectURL(blob),
        pages: Number.isFinite(pages) ? pages : null,
        size: blob.size,
      });
      setPhase({ kind: 'done' });
    } catch (e) {
      setPhase({ kind: 'failed' });
      setError(errorText(e));
    }
  };
  return (
    <Paper withBorder p="md" data-testid="edition-job">
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t('jobs.editionHint')}
        </Text>
        <Group align="flex-end">
          <Select
            label={t('jobs.directory')}
            w={200}
            allowDeselect={false}
            value={directory}
            onChange={(v) => v && setDirectory(v)}
            data={EDITIONS.filter((d) => d !== 'technical' || can('directory:technical')).map((d) => ({
              value: d,
              label: t(`directory.kinds.${d}`),
            }))}
          />
          <TextInput
            label={t('jobs.locality')}
            w={200}
            value={locality}
            onChange={(e) => setLocality(e.currentTarget.value)}
          />
          <Button onClick={() => void start()} loading={busy} data-testid="start-edition">
            {t('jobs.produce')}
          </Button>
          <Button
            variant="default"
            component="a"
            href={`/api/v1/directory/editions/${directory}/csv${query}`}
            data-testid="edition-csv"
          >
            {t('jobs.csv')}
          </Button>
        </Group>
        <JobProgress phase={phase} />
        {error && (
          <Alert color="red" data-testid="edition-error">
            {error}
          </Alert>
        )}
        {result && (
          <Alert color="green" data-testid="edition-result">
            <Group justify="space-between">
              <Text size="sm">
                {t('jobs.editionReady', { pages: result.pages ?? '?', size: Math.ceil(result.size / 1024) })}
              </Text>
              <Button size="xs" component="a" href={result.url} target="_blank" data-testid="open-edition">
                {t('jobs.open')}
              </Button>
            </Group>
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

/** Long jobs: plant and SIM imports, directory imports, directory editions, each with its progress. */
export function Imports() {
  const { t } = useTranslation();
  const can = useCan();
  const tabs = [
    ...(can('inventory:write') ? (['inventory'] as const) : []),
    ...(can('directory:write') ? (['directory'] as const) : []),
    ...(can('directory:edition') ? (['editions'] as const) : []),
  ];
  const [tab, setTab] = useState<string>(tabs[0] ?? 'inventory');
  if (tabs.length === 0)
    return (
      <Alert color="orange" title={t('common.forbiddenTitle')}>
        {t('common.forbidden')}
      </Alert>
    );
  return (
    <>
      <Title order={3} mb="sm">
        {t('nav.imports')}
      </Title>
      <Tabs value={tab} onChange={(v) => v && setTab(v)}>
        <Tabs.List mb="sm">
          {tabs.map((x) => (
            <Tabs.Tab key={x} value={x}>
              {t(`jobs.tabs.${x}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="inventory">
          <ImportJob kind="inventory" testId="inventory-import" />
        </Tabs.Panel>
        <Tabs.Panel value="directory">
          <ImportJob kind="directory" testId="directory-import" />
        </Tabs.Panel>
        <Tabs.Panel value="editions">
          <EditionJob />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
