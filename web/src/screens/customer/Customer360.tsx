import {
  Badge,
  Button,
  Grid,
  Group,
  Paper,
  SimpleGrid,
  Space,
  Stack,
  Tabs,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { address, date } from '../../lib/format';
import { navigate } from '../../lib/router';
import {
  CATEGORY_KINDS,
  type BlacklistMatch,
  type Category,
  type Customer,
  type Customer360 as View,
} from '../../lib/types';
import { AccountsPanel } from './AccountsPanel';
import { PayersPanel } from './PayersPanel';
import { SubscriptionsPanel } from './SubscriptionsPanel';
import { Timeline } from './Timeline';
import { CustomerRequests } from '../backoffice/RequestPage';
import { UsersPanel } from './UsersPanel';
import { NewRequest } from './NewRequest';
import { OpenComplaint } from '../assistance/OpenComplaint';
import { CustomerComplaints } from '../assistance/Complaints';

export function useCustomer360(code: string) {
  return useQuery({
    queryKey: ['customer', code],
    queryFn: () => get<View>(`/api/v1/customers/${encodeURIComponent(code)}`),
  });
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{children || '—'}</Text>
    </div>
  );
}

function BlacklistBadge({ code }: { code: string }) {
  const { t } = useTranslation();
  const check = useQuery({
    queryKey: ['blacklist-check', code],
    queryFn: () => get<BlacklistMatch>(`/api/v1/customers/${encodeURIComponent(code)}/blacklist-check`),
  });
  if (!check.data?.blacklisted) return null;
  return (
    <Tooltip label={check.data.matches.map((m) => m.reason).join(' · ')}>
      <Badge color="red" data-testid="blacklisted">
        {t('blacklist.listed')}
      </Badge>
    </Tooltip>
  );
}

function Identity({ c }: { c: Customer }) {
  const { t } = useTranslation();
  return (
    <Paper withBorder p="md" h="100%">
      <Title order={5} mb="xs">
        {t('customer.identity')}
      </Title>
      <SimpleGrid cols={3} spacing="xs" verticalSpacing="xs">
        {c.kind === 'person' ? (
          <>
            <Field label={t('customer.fields.lastName')}>{c.lastName}</Field>
            <Field label={t('customer.fields.firstNames')}>{c.firstNames}</Field>
            <Field label={t('customer.fields.nickname')}>{c.nickname}</Field>
            <Field label={t('customer.fields.birthDate')}>{c.birthDate ? date(c.birthDate) : ''}</Field>
            <Field label={t('customer.fields.idDocument.number')}>
              {c.idDocument ? `${t(`customer.documents.${c.idDocument.type}`)} ${c.idDocument.number}` : ''}
            </Field>
          </>
        ) : (
          <>
            <Field label={t('customer.fields.companyName')}>{c.companyName}</Field>
            <Field label={t('customer.fields.tradeName')}>{c.tradeName}</Field>
            <Field label={t('customer.fields.registrationNumber')}>{c.registrationNumber}</Field>
          </>
        )}
        <Field label={t('customer.phones')}>{c.phones.join(', ')}</Field>
        <Field label={t('customer.fields.email')}>{c.email}</Field>
        <Field label={t('customer.fields.preferredLanguage')}>{c.preferredLanguage}</Field>
      </SimpleGrid>
      <Space h="xs" />
      <Field label={t('customer.address')}>{address(c.address)}</Field>
    </Paper>
  );
}

function Categories({ c }: { c: Customer }) {
  const { t } = useTranslation();
  const can = useCan();
  const list = useQuery({
    queryKey: ['categories'],
    queryFn: () => get<Category[]>('/api/v1/categories'),
    enabled: can('catalogue:read'),
  });
  const label = (kind: string, code: string) =>
    list.data?.find((x) => x.kind === kind && x.code === code)?.label ?? '';
  return (
    <Paper withBorder p="md" h="100%">
      <Title order={5} mb="xs">
        {t('customer.categories')}
      </Title>
      <Stack gap={6}>
        {CATEGORY_KINDS.map((k) => (
          <Group key={k} justify="space-between" wrap="nowrap">
            <Text size="xs" c="dimmed">
              {t(`categoryKinds.${k}`)}
            </Text>
            <Text size="sm" ta="right" lineClamp={1}>
              <b>{c.categories[k]}</b> {label(k, c.categories[k])}
            </Text>
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}

/** The customer 360°: identity, categories, payers, users, subscriptions, accounts and the timeline. */
export function Customer360({ code }: { code: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const view = useCustomer360(code);
  const [placing, setPlacing] = useState(false);
  const [complaining, setComplaining] = useState(false);
  return (
    <QueryState query={view}>
      {(v) => {
        const current = v.subscriptions.filter((s) => s.status !== 'terminated');
        const past = v.subscriptions.filter((s) => s.status === 'terminated');
        return (
          <Stack gap="md" data-testid="customer-360">
            <Group justify="space-between">
              <Group gap="sm">
                <Title order={3}>{v.customer.displayName}</Title>
                <Text ff="monospace" c="dimmed">
                  {v.customer.code}
                </Text>
                <StatusBadge status={v.customer.status} />
                <Badge variant="outline" color="gray">
                  {t(`customer.kinds.${v.customer.kind}`)}
                </Badge>
                {can('blacklist:read') && <BlacklistBadge code={v.customer.code} />}
              </Group>
              <Group gap="xs">
                {can('request:write') && (
                  <Button onClick={() => setPlacing(true)} data-testid="new-request">
                    {t('request.new')}
                  </Button>
                )}
                {can('complaint:write') && (
                  <Button variant="default" onClick={() => setComplaining(true)} data-testid="open-complaint">
                    {t('complaint.open')}
                  </Button>
                )}
                {can('customer:write') && (
                  <Button variant="default" onClick={() => navigate(`/customers/${v.customer.code}/edit`)}>
                    {t('common.edit')}
                  </Button>
                )}
              </Group>
            </Group>
            <Grid>
              <Grid.Col span={{ base: 12, md: 8 }}>
                <Identity c={v.customer} />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <Categories c={v.customer} />
              </Grid.Col>
            </Grid>
            <Tabs defaultValue="subscriptions" keepMounted={false}>
              <Tabs.List>
                <Tabs.Tab value="subscriptions">
                  {t('customer.tabs.subscriptions')} ({current.length})
                </Tabs.Tab>
                <Tabs.Tab value="past">
                  {t('customer.tabs.past')} ({past.length})
                </Tabs.Tab>
                <Tabs.Tab value="payers">
                  {t('customer.tabs.payers')} ({v.payers.length})
                </Tabs.Tab>
                <Tabs.Tab value="users">
                  {t('customer.tabs.users')} ({v.users.length})
                </Tabs.Tab>
                {can('billing:read') && (
                  <Tabs.Tab value="accounts" data-testid="tab-accounts">
                    {t('customer.tabs.accounts')}
                  </Tabs.Tab>
                )}
                {can('request:read') && <Tabs.Tab value="requests">{t('customer.tabs.requests')}</Tabs.Tab>}
                {can('fault:read') && (
                  <Tabs.Tab value="complaints" data-testid="tab-complaints">
                    {t('customer.tabs.complaints')}
                  </Tabs.Tab>
                )}
                <Tabs.Tab value="timeline">{t('customer.tabs.timeline')}</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="subscriptions" pt="sm">
                <SubscriptionsPanel view={v} subscriptions={current} canAdd />
              </Tabs.Panel>
              <Tabs.Panel value="past" pt="sm">
                <SubscriptionsPanel view={v} subscriptions={past} canAdd={false} />
              </Tabs.Panel>
              <Tabs.Panel value="payers" pt="sm">
                <PayersPanel view={v} />
              </Tabs.Panel>
              <Tabs.Panel value="users" pt="sm">
                <UsersPanel view={v} />
              </Tabs.Panel>
              {can('billing:read') && (
                <Tabs.Panel value="accounts" pt="sm">
                  <AccountsPanel code={v.customer.code} />
                </Tabs.Panel>
              )}
              <Tabs.Panel value="requests" pt="sm">
                <CustomerRequests code={v.customer.code} />
              </Tabs.Panel>
              {can('fault:read') && (
                <Tabs.Panel value="complaints" pt="sm">
                  <CustomerComplaints customerId={v.customer.id} />
                </Tabs.Panel>
              )}
              <Tabs.Panel value="timeline" pt="sm">
                <Timeline code={v.customer.code} />
              </Tabs.Panel>
            </Tabs>
            {placing && <NewRequest view={v} onClose={() => setPlacing(false)} />}
            {complaining && (
              <OpenComplaint
                customer={v.customer.code}
                lines={current.flatMap((x) => (x.directoryNumber ? [x.directoryNumber] : []))}
                onClose={() => setComplaining(false)}
              />
            )}
          </Stack>
        );
      }}
    </QueryState>
  );
}
