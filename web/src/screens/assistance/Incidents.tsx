import {
  Alert,
  Button,
  Grid,
  Group,
  Modal,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pager, useCursor } from '../../components/Pager';
import { Empty, QueryState } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { get, post, qs } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { dateTime } from '../../lib/format';
import { useApiForm } from '../../lib/form';
import { navigate } from '../../lib/router';
import type { Page } from '../../lib/types';
import { INCIDENT_STATUSES, incidentScope, type Incident } from './care';

/** Plant incidents: the open ones first by default, newest first; declare one. */
export function Incidents() {
  const { t } = useTranslation();
  const can = useCan();
  const [status, setStatus] = useState<string | null>('open');
  const [declaring, setDeclaring] = useState(false);
  const pager = useCursor();
  const { reset } = pager;
  useEffect(() => reset(), [status, reset]);
  const q = useQuery({
    queryKey: ['incidents', status, pager.cursor],
    queryFn: () => get<Page<Incident>>(`/api/v1/incidents${qs({ status, limit: 25, cursor: pager.cursor })}`),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Title order={3}>{t('care.nav.incidents')}</Title>
        {can('incident:write') && (
          <Button size="xs" color="orange" onClick={() => setDeclaring(true)} data-testid="declare-incident">
            {t('incident.declare')}
          </Button>
        )}
      </Group>
      <Group mb="sm" align="flex-end">
        <Select
          label={t('incident.status')}
          w={160}
          clearable
          placeholder={t('care.all')}
          value={status}
          onChange={setStatus}
          data={INCIDENT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`, { defaultValue: s }) }))}
        />
      </Group>
      <QueryState query={q}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{t('incident.none')}</Empty>
          ) : (
            <>
              <Paper withBorder style={{ overflowX: 'auto' }}>
                <Table striped highlightOnHover data-testid="incidents">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('incident.number')}</Table.Th>
                      <Table.Th>{t('incident.scope')}</Table.Th>
                      <Table.Th>{t('incident.zone')}</Table.Th>
                      <Table.Th>{t('incident.description')}</Table.Th>
                      <Table.Th>{t('incident.linesCount')}</Table.Th>
                      <Table.Th>{t('incident.openedAt')}</Table.Th>
                      <Table.Th>{t('incident.status')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {page.items.map((i) => (
                      <Table.Tr
                        key={i.id}
                        onClick={() => navigate(`/incidents/${i.number}`)}
                        style={{ cursor: 'pointer' }}
                      >
                        <Table.Td ff="monospace">{i.number}</Table.Td>
                        <Table.Td>{incidentScope(i, t)}</Table.Td>
                        <Table.Td>{i.zone ?? '—'}</Table.Td>
                        <Table.Td>
                          <Text size="sm" lineClamp={1} maw={320}>
                            {i.description}
                          </Text>
                        </Table.Td>
                        <Table.Td>{i.lines.length}</Table.Td>
                        <Table.Td>{dateTime(i.openedAt)}</Table.Td>
                        <Table.Td>
                          <StatusBadge status={i.status} />
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
      {declaring && <DeclareIncident onClose={() => setDeclaring(false)} />}
    </>
  );
}

interface CableInfo {
  code: string;
  kind: string;
  sdf: string;
  cp: string | null;
  pair_count: number;
}

interface CpInfo {
  code: string;
  name: string;
  sdf: string;
  locality: string;
  district: string | null;
}

/**
 * Declares a plant incident on the element at fault: a whole cable, a range of its pairs, or a
 * concentration point picked from the plant. The cable typed is looked up so the agent sees which.
 */
function DeclareIncident({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const can = useCan();
  const [scope, setScope] = useState<'cable' | 'pair_range' | 'cp'>('cp');
  const form = useApiForm({ cable: '', from: '', to: '', cp: '', zone: '', description: '' });
  const v = form.values;
  const [cableCode] = useDebouncedValue((v.cable ?? '').trim().toUpperCase(), 300);
  const cable = useQuery({
    queryKey: ['cable', cableCode],
    queryFn: () => get<CableInfo>(`/api/v1/inventory/cables/${encodeURIComponent(cableCode)}`),
    enabled: scope !== 'cp' && cableCode.length > 0 && can('inventory:read'),
    retry: false,
  });
  const cps = useQuery({
    queryKey: ['cps'],
    queryFn: () => get<CpInfo[]>('/api/v1/inventory/cps'),
    enabled: scope === 'cp' && can('inventory:read'),
  });
  const save = useMutation({
    mutationFn: () => {
      const common = {
        description: v.description?.trim(),
        ...(v.zone?.trim() ? { zone: v.zone.trim() } : {}),
      };
      const body =
        scope === 'cp'
          ? { scope, cp: v.cp, ...common }
          : scope === 'cable'
            ? { scope, cable: v.cable?.trim(), ...common }
            : { scope, cable: v.cable?.trim(), from: Number(v.from), to: Number(v.to), ...common };
      return post<Incident>('/api/v1/incidents', body);
    },
    onSuccess: (i) => {
      void qc.invalidateQueries({ queryKey: ['incidents'] });
      notifications.show({
        color: 'orange',
        message: t('incident.declared', { number: i.number, lines: i.lines.length }),
      });
      navigate(`/incidents/${i.number}`);
    },
    onError: form.fail,
  });
  const required =
    scope === 'cp'
      ? ['cp', 'description']
      : scope === 'cable'
        ? ['cable', 'description']
        : ['cable', 'from', 'to', 'description'];
  const num = (k: 'from' | 'to') => (
    <NumberInput
      label={t(`incident.${k}`)}
      withAsterisk
      min={1}
      max={10000}
      allowDecimal={false}
      value={v[k]}
      onChange={(n) => form.set(k, n === '' ? '' : String(n))}
      error={form.err(k)}
    />
  );
  return (
    <Modal opened onClose={onClose} size="lg" title={t('incident.declare')}>
      <form
        noValidate
        data-testid="incident-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (form.require(required)) save.mutate();
        }}
      >
        <Grid>
          <Grid.Col span={12}>
            <SegmentedControl
              fullWidth
              value={scope}
              onChange={(s) => {
                setScope(s as typeof scope);
                form.clearErrors();
              }}
              data={(['cp', 'cable', 'pair_range'] as const).map((s) => ({
                value: s,
                label: t(`incident.scopes.${s}`),
              }))}
              data-testid="incident-scope"
            />
          </Grid.Col>
          {scope === 'cp' ? (
            <Grid.Col span={12}>
              <Select
                label={t('incident.cp')}
                withAsterisk
                searchable
                value={v.cp || null}
                onChange={(x) => form.set('cp', x)}
                error={form.err('cp')}
                data={(cps.data ?? []).map((c) => ({
                  value: c.code,
                  label: `${c.code} — ${c.name} (${[c.district, c.locality].filter(Boolean).join(', ')})`,
                }))}
              />
            </Grid.Col>
          ) : (
            <>
              <Grid.Col span={scope === 'cable' ? 12 : 6}>
                <TextInput
                  label={t('incident.cable')}
                  withAsterisk
                  value={v.cable}
                  onChange={(e) => form.set('cable', e.currentTarget.value)}
                  error={form.err('cable')}
                  description={
                    cable.data
                      ? t('incident.cableFound', {
                          kind: cable.data.kind,
                          code: cable.data.code,
                          pairs: cable.data.pair_count,
                          sdf: cable.data.sdf,
                          cp: cable.data.cp ? ` → ${cable.data.cp}` : '',
                        })
                      : cable.isError
                        ? t('incident.cableUnknown')
                        : undefined
                  }
                />
              </Grid.Col>
              {scope === 'pair_range' && (
                <>
                  <Grid.Col span={3}>{num('from')}</Grid.Col>
                  <Grid.Col span={3}>{num('to')}</Grid.Col>
                </>
              )}
            </>
          )}
          <Grid.Col span={4}>
            <TextInput
              label={t('incident.zone')}
              value={v.zone}
              onChange={(e) => form.set('zone', e.currentTarget.value)}
              error={form.err('zone')}
            />
          </Grid.Col>
          <Grid.Col span={12}>
            <Textarea
              label={t('incident.description')}
              withAsterisk
              autosize
              minRows={2}
              value={v.description}
              onChange={(e) => form.set('description', e.currentTarget.value)}
              error={form.err('description')}
            />
          </Grid.Col>
        </Grid>
        {form.general && (
          <Alert color="red" mt="sm" data-testid="incident-form-error">
            {form.general}
          </Alert>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" color="orange" loading={save.isPending} data-testid="save-incident">
            {t('incident.save')}
          </Button>
        </Group>
      </form>
    </Modal>
  );
}
