import {
  Alert,
  Button,
  Checkbox,
  Code,
  Drawer,
  Group,
  NumberInput,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post } from '../../lib/api';
import { useCan, useMe } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Actor } from '../../lib/types';
import { isOverdue, reasonsOf, subjectPath, type Task, type TaskField } from './tasks';

function value(f: TaskField, raw: string): unknown {
  if (f.type === 'boolean') return raw === 'true';
  if (f.type === 'integer') return raw === '' ? undefined : Number(raw);
  return raw === '' ? undefined : raw;
}

/** One task: why it is here, claim or release it, complete it with its own form and outcome. */
export function TaskDrawer({ taskId, onClose }: { taskId: number; onClose: () => void }) {
  const { t } = useTranslation();
  const task = useQuery({ queryKey: ['task', taskId], queryFn: () => get<Task>(`/api/v1/tasks/${taskId}`) });
  return (
    <Drawer opened onClose={onClose} position="right" size="lg" title={t('task.title')}>
      <QueryState query={task}>{(k) => <TaskBody k={k} onClose={onClose} />}</QueryState>
    </Drawer>
  );
}

function TaskBody({ k, onClose }: { k: Task; onClose: () => void }) {
  const { t } = useTranslation();
  const me = useMe();
  const can = useCan();
  const qc = useQueryClient();
  const taskId = k.id;
  const actors = useQuery({
    queryKey: ['actors'],
    queryFn: () => get<Actor[]>('/api/v1/actors'),
    enabled: can('task:supervise'),
  });
  const fields = k.fields ?? [];
  const form = useApiForm(Object.fromEntries(fields.map((f) => [`data.${f.name}`, ''])));
  const [reassignTo, setReassignTo] = useState<string | null>(null);
  const done = (message: string) => {
    void qc.invalidateQueries({ queryKey: ['basket'] });
    void qc.invalidateQueries({ queryKey: ['task', taskId] });
    void qc.invalidateQueries({ queryKey: ['request'] });
    notifications.show({ color: 'green', message });
  };
  const act = useMutation({
    mutationFn: (action: 'claim' | 'release') => post<Task>(`/api/v1/tasks/${taskId}/${action}`),
    onSuccess: () => done(t('common.saved')),
    onError: form.fail,
  });
  const complete = useMutation({
    mutationFn: (outcome: string) => {
      const data: Record<string, unknown> = {};
      for (const f of fields) {
        const v = value(f, form.values[`data.${f.name}`] ?? '');
        if (v !== undefined) data[f.name] = v;
      }
      return post<Task>(`/api/v1/tasks/${taskId}/complete`, { outcome, data });
    },
    onSuccess: () => {
      done(t('task.completed'));
      onClose();
    },
    onError: form.fail,
  });
  const reassign = useMutation({
    mutationFn: () => post<Task>(`/api/v1/tasks/${taskId}/reassign`, { actor: reassignTo }),
    onSuccess: () => {
      done(t('common.saved'));
      onClose();
    },
    onError: form.fail,
  });
  const mineNow = k.status === 'claimed' && k.assigneeId === me.id;
  return (
    <Stack data-testid="task-drawer">
      <Group gap="xs">
        <Title order={4}>{k.label}</Title>
        <StatusBadge status={k.status} />
        {isOverdue(k) && (
          <Text c="red" size="sm" fw={700}>
            {t('basket.overdue')}
          </Text>
        )}
      </Group>
      <Text size="sm">
        {t('basket.request')}:{' '}
        <Button variant="subtle" size="compact-sm" onClick={() => navigate(subjectPath(k))}>
          {k.subjectRef}
        </Button>
      </Text>
      <Text size="sm" c="dimmed">
        {k.scenario} / {k.node} · {k.actor ?? '—'} · {t('basket.due')}: {dateTime(k.dueAt)}
        {k.lineId ? ` · ${k.lineId}` : ''}
      </Text>
      {k.holdCause && <Alert color="yellow">{k.holdCause}</Alert>}
      {k.lastError && <Alert color="red">{k.lastError}</Alert>}
      <div>
        <Text size="xs" c="dimmed">
          {t('task.why')}
        </Text>
        {/* a fallen-out step is here because its automatic run failed: said first, in the
            interface's language; what brought the step about follows */}
        {fellOutOf(k.explanation) && (
          <Text size="sm" fw={500} data-testid="fell-out">
            {t('task.fellOut', {
              count: fellOutOf(k.explanation)!.attempts,
              error: fellOutOf(k.explanation)!.error,
            })}
          </Text>
        )}
        {reasonsOf(k.explanation).map((r) => (
          <Text size="sm" key={r}>
            • {r}
          </Text>
        ))}
      </div>
      {k.input !== null && k.input !== undefined && (
        <div>
          <Text size="xs" c="dimmed">
            {t('task.input')}
          </Text>
          <Code block mah={160} style={{ overflow: 'auto' }}>
            {JSON.stringify(k.input, null, 2)}
          </Code>
        </div>
      )}
      {k.status === 'ready' && (
        <Button onClick={() => act.mutate('claim')} loading={act.isPending} data-testid="claim">
          {t('task.claim')}
        </Button>
      )}
      {mineNow && (
        <>
          {fields.map((f) => {
            const key = `data.${f.name}`;
            const label = `${f.label ?? f.name}${f.required ? ' *' : ''}`;
            if (f.type === 'boolean')
              return (
                <Checkbox
                  key={key}
                  label={label}
                  checked={form.values[key] === 'true'}
                  onChange={(e) => form.set(key, e.currentTarget.checked ? 'true' : '')}
                />
              );
            if (f.type === 'integer')
              return (
                <NumberInput
                  key={key}
                  label={label}
                  value={form.values[key] ?? ''}
                  onChange={(n) => form.set(key, String(n))}
                  error={form.err(key)}
                />
              );
            return (
              <TextInput
                key={key}
                type={f.type === 'date' ? 'date' : 'text'}
                label={label}
                value={form.values[key] ?? ''}
                onChange={(e) => form.set(key, e.currentTarget.value)}
                error={form.err(key)}
              />
            );
          })}
          {form.general && <Alert color="red">{form.general}</Alert>}
          <Group>
            {k.outcomes.map((o) => (
              <Button
                key={o}
                onClick={() => complete.mutate(o)}
                loading={complete.isPending}
                data-testid={`outcome-${o}`}
              >
                {t(`task.outcomes.${o}`, { defaultValue: o })}
              </Button>
            ))}
            <Button variant="default" onClick={() => act.mutate('release')}>
              {t('task.release')}
            </Button>
          </Group>
        </>
      )}
      {!mineNow && form.general && <Alert color="red">{form.general}</Alert>}
      {can('task:supervise') && ['ready', 'claimed'].includes(k.status) && (
        <Group align="flex-end">
          <Select
            label={t('task.reassign')}
            value={reassignTo}
            onChange={setReassignTo}
            data={(actors.data ?? [])
              .filter((a) => a.kind === 'human')
              .map((a) => ({ value: a.code, label: a.name }))}
          />
          <Button
            variant="default"
            disabled={!reassignTo}
            onClick={() => reassign.mutate()}
            loading={reassign.isPending}
          >
            {t('common.confirm')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

/** The fall-out the engine recorded on a task's explanation, if it fell out of an automatic run. */
function fellOutOf(explanation: unknown): { attempts: number; error: string } | null {
  const f = (explanation as { fellOut?: { attempts?: unknown; error?: unknown } } | null)?.fellOut;
  return f && typeof f.attempts === 'number' ? { attempts: f.attempts, error: String(f.error ?? '') } : null;
}
