import {
  Badge,
  Button,
  Group,
  Paper,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, ErrorAlert } from '../components/States';
import { get, qs } from '../lib/api';
import { useCan } from '../lib/auth';
import type { Page } from '../lib/types';

interface Listing {
  code: string;
  number: string;
  numbers: string[];
  directory: 'alphabetical' | 'professional' | 'technical';
  title: string | null;
  lastName: string | null;
  firstNames: string | null;
  nickname: string | null;
  company: string | null;
  heading: string | null;
  address: {
    streetNumber: string | null;
    street: string | null;
    locality: string | null;
    postalCode: string | null;
  };
}

const nameOf = (l: Listing) =>
  l.company ??
  [l.title, l.firstNames, l.lastName].filter(Boolean).join(' ') + (l.nickname ? ` « ${l.nickname} »` : '');

/** Directory enquiries: one box, results as you type, usable with the keyboard alone. */
export function Directory() {
  const { t } = useTranslation();
  const can = useCan();
  const [text, setText] = useState('');
  const [directory, setDirectory] = useState('all');
  // Short debounce: the search answers in a few milliseconds, the agent is on the phone.
  const [q] = useDebouncedValue(text.trim(), 60);
  const [selected, setSelected] = useState(0);
  const listRef = useRef<HTMLDivElement>(null);
  const results = useInfiniteQuery({
    queryKey: ['directory', q, directory],
    queryFn: ({ pageParam }) =>
      get<Page<Listing>>(
        `/api/v1/directory/search${qs({ q, directory: directory === 'all' ? undefined : directory, cursor: pageParam })}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor,
    enabled: q.length >= 2,
    placeholderData: keepPreviousData,
  });
  useEffect(() => setSelected(0), [q, directory]);
  const items = results.data?.pages.flatMap((p) => p.items) ?? [];
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown') setSelected((i) => Math.min(i + 1, items.length - 1));
    else if (e.key === 'ArrowUp') setSelected((i) => Math.max(i - 1, 0));
    else if (e.key === 'Escape') setText('');
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    listRef.current?.querySelector(`[data-index="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const kinds = ['all', 'alphabetical', 'professional', ...(can('directory:technical') ? ['technical'] : [])];
  return (
    <Stack gap="sm">
      <Title order={3}>{t('directory.title')}</Title>
      <Group align="flex-end">
        <TextInput
          style={{ flex: 1 }}
          size="md"
          autoFocus
          data-testid="directory-search"
          placeholder={t('directory.placeholder')}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          onKeyDown={onKey}
        />
        <SegmentedControl
          value={directory}
          onChange={setDirectory}
          data={kinds.map((k) => ({ value: k, label: t(`directory.kinds.${k}`) }))}
        />
      </Group>
      <Text size="xs" c="dimmed">
        {t('directory.keys')}
      </Text>
      {q.length < 2 ? null : results.error ? (
        <ErrorAlert error={results.error} />
      ) : results.data && items.length === 0 ? (
        <Empty>{t('directory.none')}</Empty>
      ) : (
        <Paper
          withBorder
          ref={listRef}
          data-testid="directory-results"
          role="listbox"
          mah="calc(100vh - 260px)"
          style={{ overflowY: 'auto' }}
        >
          {items.map((l, i) => (
            <UnstyledButton
              key={`${l.code}-${i}`}
              data-index={i}
              onClick={() => setSelected(i)}
              display="block"
              w="100%"
              px="md"
              py={6}
              role="option"
              aria-selected={i === selected}
              style={{
                borderBottom: '1px solid var(--mantine-color-gray-2)',
                background: i === selected ? 'var(--mantine-color-indigo-0)' : undefined,
                borderLeft: `3px solid ${i === selected ? 'var(--mantine-color-indigo-6)' : 'transparent'}`,
              }}
            >
              <Group justify="space-between" wrap="nowrap">
                <div>
                  <Text size="sm" fw={600}>
                    {nameOf(l)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {[
                      l.heading,
                      [l.address.streetNumber, l.address.street].filter(Boolean).join(' '),
                      [l.address.postalCode, l.address.locality].filter(Boolean).join(' '),
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </Text>
                </div>
                <Group gap="xs" wrap="nowrap">
                  {l.directory !== 'alphabetical' && (
                    <Badge size="xs" variant="light">
                      {t(`directory.kinds.${l.directory}`)}
                    </Badge>
                  )}
                  <Text ff="monospace" fw={700} size="lg">
                    {l.numbers.length > 0 ? l.numbers.join(' / ') : l.number}
                  </Text>
                </Group>
              </Group>
            </UnstyledButton>
          ))}
          {results.hasNextPage && (
            <Button
              m="xs"
              size="xs"
              variant="default"
              onClick={() => void results.fetchNextPage()}
              loading={results.isFetchingNextPage}
            >
              {t('common.more')}
            </Button>
          )}
        </Paper>
      )}
    </Stack>
  );
}
