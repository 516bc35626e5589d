import {
  Anchor,
  Badge,
  CloseButton,
  Group,
  NumberInput,
  Paper,
  Select,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { dateTime, money } from '../../lib/format';
import { navigate, useLocation } from '../../lib/router';
import type { Customer360, Page } from '../../lib/types';
import { COMPLAINT_CATEGORIES, COMPLAINT_STATUSES, type Complaint } from './care';

/**
 * Complaints to follow up: by status, category and age, and by customer when the screen is opened
 * from a customer's 360° (`?customer=<id>`); newest first, paged.
 */
export function Complaints() {
  const { t } = useTranslation();
  const { query } = useLocation();
  const customerParam = Number(query.get('customer'));
  const customer = Number.isInteger(customerParam) && customerParam > 0 ? customerParam : undefined;
  // from a customer's 360° every status shows; the follow-up view starts on the open ones
  const [status, setStatus] = useState<string | null>(customer ? null : 'open');
  const [category, setCategory] = useState<string | null>(null);
  const [age, setAge] = useState<number | string>('');
  const olderThanHours = typeof age === 'number' && age > 0 ? age : undefined;
  const pager = useCursor();
  const { reset } = pager;
  useEffect(() => reset(), [status, category, olderThanHours, customer, reset]);
  const q = useQuery({
    queryKey: ['complaints', status, category, olderThanHours, customer, pager.cursor],
    queryFn: () =>
      get<Page<Complaint>>(
        `/api/v1/complaints${qs({ status, category, olderThanHours, customer, limit: 25, cursor: pager.cursor })}`,
      ),
    placeholderData: keepPreviousData,
  });
  const who = useQuery({
    queryKey: ['customer', String(customer)],
    queryFn: () => get<Customer360>(`/api/v1/customers/${customer}`),
    enabled: customer !== undefined,
  });
  return (
    <>
      <Title order={3} mb="sm">
        {t('care.nav.complaints')}
      </Title>
      <Group mb="sm" align="flex-end" data-testid="complaint-filters">
        {customer !== undefined && (
          <div>
            <Text size="sm" fw={500} mb={4}>
              {t('care.customer')}
            </Text>
            <Badge
              size="lg"
              variant="light"
              tt="none"
              data-testid="complaint-customer-filter"
              rightSection={
                <CloseButton
                  size="xs"
                  aria-label={t('care.allCustomers')}
                  onClick={() => {
                    setStatus('open');
                    navigate('/complaints');
                  }}
                />
              }
            >
              {who.data ? `${who.data.customer.code} · ${who.data.customer.displayName}` : `#${customer}`}
            </Badge>
          </div>
        )}
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
              <ComplaintTable items={page.items} />
              <Pager pager={pager} nextCursor={page.nextCursor} />
            </>
          )
        }
      </QueryState>
    </>
  );
}

/** Complaints as rows: number, category, subject, line, disputed amount, opened, status; a row opens it. */
export function ComplaintTable({ items }: { items: Complaint[] }) {
  const { t } = useTranslation();
  return (
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
          {items.map((c) => (
            <Table.Tr
              key={c.id}
              onClick={() => navigate(`/complaints/${c.number}`)}
              style={{ cursor: 'pointer' }}
            >
              <Table.Td ff="monospace">{c.number}</Table.Td>
              <Table.Td>{t(`complaint.categories.${c.category}`, { defaultValue: c.category })}</Table.Td>
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
  );
}

/** A customer's complaints, every status, newest first (the 360°'s complaints tab). */
export function CustomerComplaints({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const pager = useCursor();
  const q = useQuery({
    queryKey: ['complaints', 'customer', customerId, pager.cursor],
    queryFn: () =>
      get<Page<Complaint>>(
        `/api/v1/complaints${qs({ customer: customerId, limit: 10, cursor: pager.cursor })}`,
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <QueryState query={q}>
      {(page) =>
        page.items.length === 0 ? (
          <Empty>{t('complaint.noneForCustomer')}</Empty>
        ) : (
          <>
            <ComplaintTable items={page.items} />
            <Group justify="space-between" mt="xs">
              <Anchor size="sm" onClick={() => navigate(`/complaints?customer=${customerId}`)}>
                {t('complaint.allOfCustomer')}
              </Anchor>
              <Pager pager={pager} nextCursor={page.nextCursor} />
            </Group>
          </>
        )
      }
    </QueryState>
  );
}
