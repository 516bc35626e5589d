import { Alert, Center, Loader, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useErrorText } from '../lib/form';

export function Loading() {
  return (
    <Center p="lg" data-testid="loading">
      <Loader size="sm" />
    </Center>
  );
}

export function Empty({ children }: { children?: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <Text c="dimmed" ta="center" p="md" size="sm">
      {children ?? t('common.empty')}
    </Text>
  );
}

export function ErrorAlert({ error }: { error: unknown }) {
  const text = useErrorText();
  const { t } = useTranslation();
  return (
    <Alert color="red" title={t('common.error')} my="sm">
      {text(error)}
    </Alert>
  );
}

/** Loading, error or content: the three states every query screen has. */
export function QueryState<T>({
  query,
  children,
}: {
  query: { isPending: boolean; error: unknown; data: T | undefined };
  children: (data: T) => React.ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.error || query.data === undefined) return <ErrorAlert error={query.error} />;
  return <>{children(query.data)}</>;
}
