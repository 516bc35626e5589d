import { Badge, Group, List, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

interface Considered {
  index?: number;
  to: string[];
  because: string;
  taken: boolean;
}
interface Explanation {
  start?: boolean;
  why?: string;
  from?: string | null;
  outcome?: string | null;
  transition?: { index?: number; why?: string; considered?: Considered[] } | null;
  actor?: { actor: string; why: string };
  assignee?: { userId: number | null; why: string };
  reassigned?: { by: string; from: string | null; to: string };
  fellOut?: { from: string | null; to: string; attempts: number; error: string };
  escalated?: { from: string | null; why: string };
}

/**
 * Why a task is where it is, as the engine recorded it: the transition that led to it (and every
 * candidate with the verdict of its condition), the rule that chose its actor and its agent, and
 * what happened to it later (escalation, reassignment, fall-out).
 */
export function ExplanationView({ explanation }: { explanation: unknown }) {
  const { t } = useTranslation();
  if (!explanation || typeof explanation !== 'object') return null;
  const x = explanation as Explanation;
  return (
    <Stack gap={4} data-testid="explanation">
      {x.start ? (
        <Text size="xs">{t('scenario.why.start')}</Text>
      ) : x.from ? (
        <Text size="xs">
          {t('scenario.why.from', { from: x.from, outcome: x.outcome ?? '—' })}
          {x.transition?.why ? ` — ${x.transition.why}` : ''}
        </Text>
      ) : null}
      {(x.transition?.considered?.length ?? 0) > 1 && (
        <List size="xs" spacing={0} withPadding>
          {x.transition!.considered!.map((c, i) => (
            <List.Item key={i}>
              <Text size="xs" c={c.taken ? 'green.8' : 'dimmed'} span>
                {c.taken ? '✓' : '✗'} → {c.to.join(', ')} : {c.because}
              </Text>
            </List.Item>
          ))}
        </List>
      )}
      {x.actor && (
        <Text size="xs">
          {t('scenario.why.actor', { actor: x.actor.actor })} — {x.actor.why}
        </Text>
      )}
      {x.assignee && <Text size="xs">{t('scenario.why.assignee', { why: x.assignee.why })}</Text>}
      {(x.escalated || x.reassigned || x.fellOut) && (
        <Group gap={4}>
          {x.escalated && (
            <Badge size="xs" color="red" variant="light">
              {t('scenario.why.escalated', { why: x.escalated.why })}
            </Badge>
          )}
          {x.reassigned && (
            <Badge size="xs" color="orange" variant="light">
              {t('scenario.why.reassigned', { to: x.reassigned.to, by: x.reassigned.by })}
            </Badge>
          )}
          {x.fellOut && (
            <Badge size="xs" color="red" variant="light">
              {t('scenario.why.fellOut', { to: x.fellOut.to, count: x.fellOut.attempts })}
            </Badge>
          )}
        </Group>
      )}
      {x.fellOut?.error && (
        <Text size="xs" c="red">
          {x.fellOut.error}
        </Text>
      )}
    </Stack>
  );
}
