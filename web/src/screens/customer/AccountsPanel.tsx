import {
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { date, money } from '../../lib/format';
import {
  accountKeys,
  invoicePdf,
  isoDay,
  type CustomerAccount,
  type Invoice,
  type PayerAccount,
  type Statement,
} from './accounts';
import { PaymentForm } from './PaymentForm';

function Figure({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600} data-testid={testId}>
        {children}
      </Text>
    </div>
  );
}

/** Owed, advance or up to date: the sign of a receivable balance said in words. */
function BalanceText({ balance, currency }: { balance: number; currency: string }) {
  const { t } = useTranslation();
  if (balance > 0)
    return (
      <Text span c="red.8" inherit>
        {t('accounts.owed', { amount: money(balance, currency) })}
      </Text>
    );
  if (balance < 0)
    return (
      <Text span c="teal.8" inherit>
        {t('accounts.advance', { amount: money(-balance, currency) })}
      </Text>
    );
  return <>{t('accounts.upToDate')}</>;
}

function InvoicesTable({ invoices, currency }: { invoices: Invoice[]; currency: string }) {
  const { t } = useTranslation();
  if (invoices.length === 0) return <Empty>{t('accounts.noInvoice')}</Empty>;
  const period = (i: Invoice) =>
    i.periodStart && i.periodEnd ? `${date(i.periodStart)} – ${date(i.periodEnd)}` : '—';
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table striped highlightOnHover verticalSpacing={4} data-testid="invoices">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('accounts.columns.number')}</Table.Th>
            <Table.Th>{t('accounts.columns.date')}</Table.Th>
            <Table.Th>{t('accounts.columns.period')}</Table.Th>
            <Table.Th>{t('accounts.columns.due')}</Table.Th>
            <Table.Th ta="right">{t('accounts.columns.total')}</Table.Th>
            <Table.Th ta="right">{t('accounts.columns.open')}</Table.Th>
            <Table.Th>{t('accounts.columns.status')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {invoices.map((i) => (
            <Table.Tr key={i.id} data-testid={`invoice-${i.number}`}>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {i.number}
                </Text>
                {i.kind !== 'periodic' && (
                  <Text size="xs" c="dimmed">
                    {t(`accounts.kinds.${i.kind}`)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{date(i.issuedAt)}</Table.Td>
              <Table.Td>{period(i)}</Table.Td>
              <Table.Td>{date(i.dueAt)}</Table.Td>
              <Table.Td ta="right" data-testid="invoice-total">
                {money(i.total, currency)}
              </Table.Td>
              <Table.Td ta="right" data-testid="invoice-open">
                {money(i.openAmount, currency)}
              </Table.Td>
              <Table.Td>
                <StatusBadge status={i.status} />
              </Table.Td>
              <Table.Td>
                {/* The session cookie goes with these links: the PDF opens like any page of the app. */}
                <Group gap="xs" wrap="nowrap">
                  <Anchor size="sm" href={invoicePdf(i.number)} target="_blank" data-testid="invoice-pdf">
                    {t('accounts.openPdf')}
                  </Anchor>
                  <Anchor size="sm" href={invoicePdf(i.number)} download={`${i.number}.pdf`}>
                    {t('accounts.download')}
                  </Anchor>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The statement's bounds as a person reads them: both days included (the API's `to` is exclusive). */
function StatementView({ payerId, currency }: { payerId: number; currency: string }) {
  const { t } = useTranslation();
  const today = new Date();
  const [from, setFrom] = useState(
    isoDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 2, 1))),
  );
  const [to, setTo] = useState(isoDay(today));
  const [shown, setShown] = useState<{ from: string; to: string } | null>(null);
  const statement = useQuery({
    queryKey: [...accountKeys.statement(payerId), shown],
    queryFn: () => {
      const end = new Date(`${shown!.to}T00:00:00Z`);
      end.setUTCDate(end.getUTCDate() + 1);
      return get<Statement>(
        `/api/v1/payers/${payerId}/statement${qs({ from: shown!.from, to: isoDay(end) })}`,
      );
    },
    enabled: shown !== null,
  });
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to;
  return (
    <Stack gap="xs">
      <Group gap="sm" align="flex-end">
        <TextInput
          type="date"
          size="xs"
          label={t('accounts.from')}
          value={from}
          onChange={(e) => setFrom(e.currentTarget.value)}
          data-testid="statement-from"
        />
        <TextInput
          type="date"
          size="xs"
          label={t('accounts.to')}
          value={to}
          onChange={(e) => setTo(e.currentTarget.value)}
          data-testid="statement-to"
        />
        <Button
          size="xs"
          variant="default"
          disabled={!valid}
          onClick={() => setShown({ from, to })}
          data-testid="statement-show"
        >
          {t('accounts.show')}
        </Button>
      </Group>
      {shown && (
        <QueryState query={statement}>
          {(s) => (
            <Stack gap={4} data-testid="statement">
              <Group justify="space-between">
                <Text size="sm">
                  {t('accounts.opening')} : <b>{money(s.openingBalance, currency)}</b>
                </Text>
                <Text size="sm">
                  {t('accounts.closing')} :{' '}
                  <b data-testid="statement-closing">{money(s.closingBalance, currency)}</b>
                </Text>
              </Group>
              {s.lines.length === 0 ? (
                <Empty>{t('accounts.noMovement')}</Empty>
              ) : (
                <Table.ScrollContainer minWidth={700}>
                  <Table verticalSpacing={2} fz="sm">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('accounts.statementColumns.date')}</Table.Th>
                        <Table.Th>{t('accounts.statementColumns.description')}</Table.Th>
                        <Table.Th>{t('accounts.statementColumns.document')}</Table.Th>
                        <Table.Th ta="right">{t('accounts.statementColumns.debit')}</Table.Th>
                        <Table.Th ta="right">{t('accounts.statementColumns.credit')}</Table.Th>
                        <Table.Th ta="right">{t('accounts.statementColumns.balance')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {s.lines.map((l) => (
                        <Table.Tr key={l.id}>
                          <Table.Td>{date(l.date)}</Table.Td>
                          <Table.Td>{l.description}</Table.Td>
                          <Table.Td ff="monospace">{l.payment ?? l.invoice ?? ''}</Table.Td>
                          <Table.Td ta="right">{l.debit ? money(l.debit, currency) : ''}</Table.Td>
                          <Table.Td ta="right">{l.credit ? money(l.credit, currency) : ''}</Table.Td>
                          <Table.Td ta="right">{money(l.balance, currency)}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </Stack>
          )}
        </QueryState>
      )}
    </Stack>
  );
}

function PayerCard({ code, payer, currency }: { code: string; payer: PayerAccount; currency: string }) {
  const { t } = useTranslation();
  const can = useCan();
  const [paying, setPaying] = useState(false);
  const invoices = useQuery({
    queryKey: accountKeys.invoices(payer.payerId),
    queryFn: () => get<{ items: Invoice[] }>(`/api/v1/payers/${payer.payerId}/invoices`),
  });
  return (
    <Paper withBorder p="sm" data-testid={`account-${payer.payerCode}`}>
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Title order={6}>{payer.name}</Title>
          <Text ff="monospace" size="sm" c="dimmed">
            {payer.payerCode}
          </Text>
          <Badge variant="outline" color="gray" size="sm">
            {t(`accounts.cycles.${payer.cycle}`, { defaultValue: payer.cycle })}
          </Badge>
        </Group>
        {can('payment:write') && (
          <Button size="xs" onClick={() => setPaying(true)} data-testid="take-payment">
            {t('accounts.pay')}
          </Button>
        )}
      </Group>
      <SimpleGrid cols={{ base: 2, md: 5 }} spacing="xs" mb="sm">
        <Figure label={t('accounts.balance')} testId="payer-balance">
          <BalanceText balance={payer.balance} currency={currency} />
        </Figure>
        <Figure label={t('accounts.overdue')} testId="payer-overdue">
          {money(payer.overdue, currency)}
        </Figure>
        <Figure label={t('accounts.deposits')} testId="payer-deposits">
          {money(payer.depositsHeld, currency)}
        </Figure>
        <Figure label={t('accounts.openInvoices')}>{payer.openInvoices}</Figure>
        <Figure label={t('accounts.oldestDue')}>{date(payer.oldestDue)}</Figure>
      </SimpleGrid>
      <Text size="sm" fw={600} mb={4}>
        {t('accounts.invoices')}
      </Text>
      <QueryState query={invoices}>
        {(r) => <InvoicesTable invoices={r.items} currency={currency} />}
      </QueryState>
      <Text size="sm" fw={600} mt="sm" mb={4}>
        {t('accounts.statement')}
      </Text>
      <StatementView payerId={payer.payerId} currency={currency} />
      {paying && (
        <PaymentForm
          code={code}
          payer={payer}
          currency={currency}
          invoices={invoices.data?.items ?? []}
          onClose={() => setPaying(false)}
        />
      )}
    </Paper>
  );
}

/** The customer's accounts: per payer the balance, deposits, invoices (PDF) and a statement; the cash desk. */
export function AccountsPanel({ code }: { code: string }) {
  const { t } = useTranslation();
  const account = useQuery({
    queryKey: accountKeys.customer(code),
    queryFn: () => get<CustomerAccount>(`/api/v1/customers/${encodeURIComponent(code)}/billing-account`),
  });
  return (
    <QueryState query={account}>
      {(a) => (
        <Stack gap="sm" data-testid="accounts">
          {a.payers.length > 1 && (
            <Paper withBorder p="sm">
              <SimpleGrid cols={3} spacing="xs">
                <Figure label={`${t('accounts.balance')} — ${t('accounts.totals')}`}>
                  <BalanceText balance={a.totals.balance} currency={a.currency} />
                </Figure>
                <Figure label={t('accounts.overdue')}>{money(a.totals.overdue, a.currency)}</Figure>
                <Figure label={t('accounts.deposits')}>{money(a.totals.depositsHeld, a.currency)}</Figure>
              </SimpleGrid>
            </Paper>
          )}
          {a.payers.map((p) => (
            <PayerCard key={p.payerId} code={code} payer={p} currency={a.currency} />
          ))}
        </Stack>
      )}
    </QueryState>
  );
}
