import {
  Alert,
  Anchor,
  Button,
  Grid,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { post } from '../../lib/api';
import { money, toMinor } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { useRefresh } from './SubscriptionsPanel';
import {
  accountKeys,
  PAYMENT_METHODS,
  paymentJson,
  receiptPdf,
  type Invoice,
  type Payment,
  type PayerAccount,
} from './accounts';

const EMPTY = { amount: '', method: 'cash', invoiceNumber: '', reference: '' };

/**
 * The cash desk for one payer: the form's keys are the API's field names, so a refusal's problem
 * `field` lands next to its input; on success the receipt (its number is the payment's) and the
 * account's balance, invoices and statement are refreshed.
 */
export function PaymentForm({
  code,
  payer,
  currency,
  invoices,
  onClose,
}: {
  code: string;
  payer: PayerAccount;
  currency: string;
  invoices: Invoice[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const refresh = useRefresh(code);
  const form = useApiForm(EMPTY);
  const [paid, setPaid] = useState<Payment | null>(null);
  const open = invoices.filter((i) => i.status === 'open' && i.openAmount > 0);
  const pay = useMutation({
    mutationFn: () => {
      const v = form.values;
      const major = Number((v.amount ?? '').replace(',', '.'));
      return post<Payment>('/api/v1/payments', {
        payerId: payer.payerId,
        // an unreadable amount is sent as is, for the API to refuse it next to the field
        amount: Number.isFinite(major) ? toMinor(major, currency) : v.amount,
        method: v.method,
        ...(v.invoiceNumber ? { invoiceNumber: v.invoiceNumber } : {}),
        ...(v.reference?.trim() ? { reference: v.reference.trim() } : {}),
      });
    },
    onSuccess: (p) => {
      setPaid(p);
      refresh();
      void qc.invalidateQueries({ queryKey: accountKeys.customer(code) });
      void qc.invalidateQueries({ queryKey: accountKeys.invoices(payer.payerId) });
      void qc.invalidateQueries({ queryKey: accountKeys.statement(payer.payerId) });
    },
    onError: form.fail,
  });
  return (
    <Modal opened onClose={onClose} size="lg" title={t('accounts.payment.title', { payer: payer.payerCode })}>
      {paid ? (
        <Stack data-testid="payment-done">
          <Alert color="green" title={t('accounts.payment.done', { number: paid.number })}>
            <Stack gap={4}>
              <Text size="sm" fw={600} data-testid="receipt-number">
                {t('accounts.payment.receipt', { number: paid.number })} — {money(paid.amount, currency)}
              </Text>
              {paid.allocations.map((a) => (
                <Text size="sm" key={a.invoice}>
                  {t('accounts.payment.allocated', { amount: money(a.amount, currency), invoice: a.invoice })}
                </Text>
              ))}
              {paid.unallocated > 0 && (
                <Text size="sm">
                  {t('accounts.payment.unallocated', { amount: money(paid.unallocated, currency) })}
                </Text>
              )}
            </Stack>
          </Alert>
          <Group justify="space-between">
            <Group gap="md">
              <Anchor href={receiptPdf(paid.number)} target="_blank" data-testid="receipt-pdf">
                {t('accounts.payment.receiptPdf')}
              </Anchor>
              <Anchor href={paymentJson(paid.number)} target="_blank" data-testid="receipt-json">
                {t('accounts.payment.receiptJson')}
              </Anchor>
            </Group>
            <Group gap="xs">
              <Button
                variant="default"
                onClick={() => {
                  setPaid(null);
                  form.reset(EMPTY);
                }}
              >
                {t('accounts.payment.another')}
              </Button>
              <Button onClick={onClose}>{t('accounts.payment.close')}</Button>
            </Group>
          </Group>
        </Stack>
      ) : (
        <form
          noValidate
          data-testid="payment-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (form.require(['amount', 'method'])) pay.mutate();
          }}
        >
          <Grid>
            <Grid.Col span={6}>
              <NumberInput
                label={t('accounts.payment.amount', { currency })}
                name="amount"
                value={form.values.amount ?? ''}
                onChange={(v) => form.set('amount', String(v))}
                error={form.err('amount')}
                allowNegative={false}
                thousandSeparator=" "
                hideControls
                data-autofocus
              />
            </Grid.Col>
            <Grid.Col span={6}>
              <Select
                label={t('accounts.payment.method')}
                value={form.values.method || null}
                onChange={(v) => form.set('method', v)}
                error={form.err('method')}
                allowDeselect={false}
                data={PAYMENT_METHODS.map((m) => ({ value: m, label: t(`accounts.methods.${m}`) }))}
              />
            </Grid.Col>
            <Grid.Col span={6}>
              <Select
                label={t('accounts.payment.invoiceNumber')}
                description={t('accounts.payment.invoiceHint')}
                value={form.values.invoiceNumber || null}
                onChange={(v) => form.set('invoiceNumber', v)}
                error={form.err('invoiceNumber')}
                clearable
                data={open.map((i) => ({
                  value: i.number,
                  label: `${i.number} — ${money(i.openAmount, currency)}`,
                }))}
              />
            </Grid.Col>
            <Grid.Col span={6}>
              <TextInput
                label={t('accounts.payment.reference')}
                name="reference"
                value={form.values.reference ?? ''}
                onChange={(e) => form.set('reference', e.currentTarget.value)}
                error={form.err('reference')}
              />
            </Grid.Col>
          </Grid>
          {form.general && (
            <Alert color="red" mt="sm">
              {form.general}
            </Alert>
          )}
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={pay.isPending} data-testid="payment-submit">
              {t('accounts.payment.submit')}
            </Button>
          </Group>
        </form>
      )}
    </Modal>
  );
}
