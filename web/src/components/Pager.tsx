import { Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Cursor pagination: remembers the cursors of the pages seen so "previous" works too. */
export function useCursor() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const reset = useCallback(() => setStack((s) => (s.length === 1 ? s : [undefined])), []);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (c: string) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset,
  };
}

export function Pager({ pager, nextCursor }: { pager: ReturnType<typeof useCursor>; nextCursor?: string }) {
  const { t } = useTranslation();
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <Group justify="flex-end" gap="xs" mt="sm">
      <Button size="xs" variant="default" disabled={pager.page === 1} onClick={pager.prev}>
        {t('common.previous')}
      </Button>
      <Text size="sm">{t('common.page', { n: pager.page })}</Text>
      <Button
        size="xs"
        variant="default"
        disabled={!nextCursor}
        onClick={() => nextCursor && pager.next(nextCursor)}
      >
        {t('common.next')}
      </Button>
    </Group>
  );
}
