import { Anchor, Group, NumberInput, Paper, Select, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { dateTime, money } from '../../lib/format';
import { navigate } from '../../lib/router';
import type { Page } from '../../lib/types';
import { COMPLAINT_CATEGORIES, COMPLAINT_STATUSES, type Complaint } from './care';

/** Complaints to follow up: by status, category and age; newest first, paged. */
export function Complaints() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<string | null>('open');
  const [category, setCategory] = useState<string | null>(null);
  const [age, setAge] = useState<number | string>('');
  const olderThanHours = typeof age === 'number' && age > 0 ? age : undefined;
  const pager = useCursor();
  const { reset } = pager;
  useEffect(() => reset(), [status, category, olderThanHours, reset]);
  const q = useQuery({
    queryKey: ['complaints', status, category, olderThanHours, pager.cursor],
    queryFn: () =>
      get<Page<Complaint>>(
        `/api/v1/complaints${qs({ status, category, olderThanHours, limit: 25, cursor: pager.cursor })}`,
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <Title order={3} mb="sm">
        {t('care.nav.complaints')}
      </Title>
      <Group mb="sm" align="flex-end" data-testid="complaint-filters">
        <Select
          label={t('complaint.status')}
          w={160}
          clearable
          placeholder={t('care.all')}
          value={status}
          onChange={setStatus}
          data={COMPLAINT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`, { defaultValue: s }) }))}
        />
        <Select
          label={t('complaint.category')}
          w={200}
          clearable
          placeholder={t('care.all')}
          value={category}
          onChange={setCategory}
          data={COMPLAINT_CATEGORIES.map((c) => ({ value: c, label: t(`complaint.categories.${c}`) }))}
        />
        <NumberInput
          label={t('care.olderThanHours')}
          w={170}
          min={0}
          max={24 * 3650}
          allowDecimal={false}
          value={age}
          onChange={setAge}
        />
      </Group>
      <QueryState query={q}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{t('complaint.none')}</Empty>
          ) : (
            <>
              <Paper withBorder style={{ overflowX: 'auto' }}>
                <Table striped highlightOnHover data-testid="complaints">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('complaint.number')}</Table.Th>
                      <Table.Th>{t('complaint.category')}</Table.Th>
                      <Table.Th>{t('complaint.subject')}</Table.Th>
                      <Table.Th>{t('care.line')}</Table.Th>
                      <Table.Th>{t('complaint.disputed')}</Table.Th>
                      <Table.Th>{t('complaint.openedAt')}</Table.Th>
                      <Table.Th>{t('complaint.status')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {page.items.map((c) => (
                      <Table.Tr
                        key={c.id}
                        onClick={() => navigate(`/complaints/${c.number}`)}
                        style={{ cursor: 'pointer' }}
                      >
                        <Table.Td ff="monospace">{c.number}</Table.Td>
                        <Table.Td>
                          {t(`complaint.categories.${c.category}`, { defaultValue: c.category })}
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" lineClamp={1}>
                            {c.subject}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          {c.lineId ? (
                            <Anchor
                              size="sm"
                              onClick={(e) => {
                                e.stopPropagation();
                                navigate(`/lines/${c.lineId}`);
                              }}
                            >
                              {c.lineId}
                            </Anchor>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                        <Table.Td ff="monospace">{money(c.disputedAmount)}</Table.Td>
                        <Table.Td>{dateTime(c.openedAt)}</Table.Td>
                        <Table.Td>
                          <StatusBadge status={c.status} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Paper>
              <Pager pager={pager} nextCursor={page.nextCursor} />
            </>
          )
        }
      </QueryState>
    </>
  );
}
