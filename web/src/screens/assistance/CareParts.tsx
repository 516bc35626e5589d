import { Alert, Button, Group, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { post } from '../../lib/api';
import { useErrorText } from '../../lib/form';
import type { Rebate } from './care';

/** A labelled value on a detail page. */
export function Field({ label, children }: { label: string; children: React.ReactNode }) {
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

/**
 * Approve or reject a pending rebate. The API says whether the logged-in user may (their right
 * for the amount, not the agent who asked for it); the buttons appear only then, the reason otherwise.
 */
export function RebateDecision({ r, withNote = false }: { r: Rebate; withNote?: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const decide = useMutation({
    mutationFn: (d: 'approve' | 'reject') =>
      post<Rebate>(`/api/v1/rebates/${r.number}/${d}`, note.trim() ? { note: note.trim() } : {}),
    onSuccess: (x, d) => {
      setError(null);
      void qc.invalidateQueries({ queryKey: ['rebates'] });
      void qc.invalidateQueries({ queryKey: ['complaint'] });
      void qc.invalidateQueries({ queryKey: ['timeline'] });
      notifications.show({
        color: d === 'approve' ? 'green' : 'orange',
        message: t(d === 'approve' ? 'rebate.approved' : 'rebate.rejected', { number: x.number }),
      });
    },
    onError: (e) => setError(errorText(e)),
  });
  if (r.status !== 'pending') return null;
  if (!r.decision.allowed)
    return (
      <Text size="xs" c="dimmed" data-testid="rebate-why-not">
        {t('rebate.whyNot', { why: r.decision.why ?? '' })}
      </Text>
    );
  return (
    <div data-testid="rebate-decision">
      <Group gap="xs" wrap="nowrap" align="flex-end">
        {withNote && (
          <TextInput
            size="xs"
            label={t('rebate.note')}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
          />
        )}
        <Button
          size="xs"
          color="green"
          loading={decide.isPending && decide.variables === 'approve'}
          onClick={() => decide.mutate('approve')}
          data-testid="approve-rebate"
        >
          {t('rebate.approve')}
        </Button>
        <Button
          size="xs"
          variant="default"
          loading={decide.isPending && decide.variables === 'reject'}
          onClick={() => decide.mutate('reject')}
          data-testid="reject-rebate"
        >
          {t('rebate.reject')}
        </Button>
      </Group>
      {error && (
        <Alert color="red" mt={6} p="xs">
          {error}
        </Alert>
      )}
    </div>
  );
}
