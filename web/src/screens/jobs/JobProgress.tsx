import { Group, Progress, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import i18n from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Progress as Transfer } from '../../lib/transfer';
import { count } from '../../lib/format';

/** Where a long job is: sending the file, the server working on it, receiving the result. */
export type Phase =
  | { kind: 'idle' }
  | { kind: 'sending'; progress: Transfer }
  | { kind: 'working'; since: number; rows?: number }
  | { kind: 'receiving'; progress: Transfer }
  | { kind: 'done' }
  | { kind: 'failed' };

// kilobytes in the interface's language: "Ko" in French, "KB" in English
const kb = (n: number) =>
  `${count(Math.max(1, Math.round(n / 1024)))} ${i18n.language === 'en' ? 'KB' : 'Ko'}`;

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(id);
  }, []);
  return <>{Math.max(0, Math.floor((now - since) / 1000))} s</>;
}

/** A progress bar with counts: a real percentage while bytes move, a busy bar while the server works. */
export function JobProgress({ phase }: { phase: Phase }) {
  const { t } = useTranslation();
  if (phase.kind === 'idle' || phase.kind === 'done' || phase.kind === 'failed') return null;
  if (phase.kind === 'working')
    return (
      <Stack gap={4} data-testid="job-progress" data-phase="working">
        <Progress value={100} striped animated aria-label={t('jobs.working')} />
        <Group gap="xs">
          <Text size="sm">
            {phase.rows !== undefined ? t('jobs.workingRows', { count: phase.rows }) : t('jobs.working')}
          </Text>
          <Text size="sm" c="dimmed">
            <Elapsed since={phase.since} />
          </Text>
        </Group>
      </Stack>
    );
  const { loaded, total } = phase.progress;
  const pct = total ? Math.min(100, Math.round((loaded / total) * 100)) : null;
  return (
    <Stack gap={4} data-testid="job-progress" data-phase={phase.kind}>
      <Progress value={pct ?? 100} striped={pct === null} animated={pct === null} />
      <Text size="sm">
        {phase.kind === 'sending' ? t('jobs.sending') : t('jobs.receiving')} {kb(loaded)}
        {total ? ` / ${kb(total)} (${pct} %)` : ''}
      </Text>
    </Stack>
  );
}
