import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';

const COLORS: Record<string, string> = {
  active: 'green',
  prospect: 'blue',
  pending: 'yellow',
  suspended: 'orange',
  inactive: 'gray',
  closed: 'gray',
  terminated: 'gray',
  lifted: 'gray',
  listed: 'red',
  open: 'blue',
  done: 'green',
  completed: 'green',
  ready: 'yellow',
  claimed: 'blue',
  held: 'orange',
  failed: 'red',
  refused: 'red',
  running: 'indigo',
  cancelled: 'gray',
  rejected: 'red',
  resolved: 'teal',
  issued: 'blue',
  in_progress: 'indigo',
  paid: 'green',
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[status] ?? 'gray'} variant="light" size="sm">
      {t(`status.${status}`, { defaultValue: status })}
    </Badge>
  );
}
