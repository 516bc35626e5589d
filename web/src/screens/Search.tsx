import { Badge, Button, Group, Paper, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../components/Pager';
import { Empty, ErrorAlert, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { get, qs } from '../lib/api';
import { useCan } from '../lib/auth';
import { address } from '../lib/format';
import { navigate, useLocation } from '../lib/router';
import type { Customer, Page } from '../lib/types';

const PAGE = 20;

/** The universal search: customer code, name fragment, phone or directory number, as you type. */
export function Search() {
  const { t } = useTranslation();
  const can = useCan();
  const { query } = useLocation();
  const [text, setText] = useState(query.get('q') ?? '');
  const [debounced] = useDebouncedValue(text.trim(), 250);
  const pager = useCursor();
  const [selected, setSelected] = useState(0);
  const { reset } = pager;
  useEffect(() => {
    reset();
    setSelected(0);
    // Keep the search in the address so "back" from a customer returns to the same results.
    history.replaceState(null, '', debounced ? `/?q=${encodeURIComponent(debounced)}` : '/');
  }, [debounced, reset]);
  const enabled = debounced.length >= 2;
  const results = useQuery({
    queryKey: ['customers', 'search', debounced, pager.cursor],
    queryFn: () =>
      get<Page<Customer>>(`/api/v1/customers${qs({ q: debounced, limit: PAGE, cursor: pager.cursor })}`),
    enabled,
    placeholderData: keepPreviousData,
  });
  const items = results.data?.items ?? [];
  const open = (c: Customer) => navigate(`/customers/${c.code}`);
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown') setSelected((i) => Math.min(i + 1, items.length - 1));
    else if (e.key === 'ArrowUp') setSelected((i) => Math.max(i - 1, 0));
    else if (e.key === 'Enter' && items[selected]) open(items[selected]);
    else return;
    e.preventDefault();
  };
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('search.title')}</Title>
        {can('customer:write') && (
          <Button onClick={() => navigate('/customers/new')}>{t('nav.newCustomer')}</Button>
        )}
      </Group>
      <TextInput
        size="md"
        autoFocus
        data-testid="universal-search"
        placeholder={t('search.placeholder')}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKey}
        rightSection={results.isFetching ? <Badge size="xs">…</Badge> : null}
        mb="md"
      />
      {!enabled ? (
        <Text c="dimmed" size="sm">
          {t('search.hint')}
        </Text>
      ) : results.isPending ? (
        <Loading />
      ) : results.error ? (
        <ErrorAlert error={results.error} />
      ) : items.length === 0 ? (
        <Empty>{t('search.none', { q: debounced })}</Empty>
      ) : (
        <Paper withBorder>
          <Table highlightOnHover data-testid="search-results">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('customer.code')}</Table.Th>
                <Table.Th>{t('customer.name')}</Table.Th>
                <Table.Th>{t('customer.phones')}</Table.Th>
                <Table.Th>{t('customer.address')}</Table.Th>
                <Table.Th>{t('customer.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((c, i) => (
                <Table.Tr
                  key={c.id}
                  onClick={() => open(c)}
                  style={{ cursor: 'pointer' }}
                  bg={i === selected ? 'indigo.0' : undefined}
                >
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {c.code}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {c.displayName}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {t(`customer.kinds.${c.kind}`)}
                    </Text>
                  </Table.Td>
                  <Table.Td>{c.phones.join(', ') || '—'}</Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={1}>
                      {address(c.address)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={c.status} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      {enabled && <Pager pager={pager} nextCursor={results.data?.nextCursor} />}
    </>
  );
}
