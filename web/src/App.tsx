import {
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  SegmentedControl,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, get, onUnauthenticated, post } from './lib/api';
import { MeContext, useCan, useMe } from './lib/auth';
import { navigate, useLocation } from './lib/router';
import type { Me } from './lib/types';
import { Loading } from './components/States';
import { Login } from './screens/Login';
import { Routes } from './Routes';
import { elementsQuery } from './screens/activation/activation';

async function fetchMe(): Promise<Me | null> {
  try {
    return await get<Me>('/api/v1/auth/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function App() {
  const qc = useQueryClient();
  const me = useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: Infinity });
  useEffect(
    () =>
      onUnauthenticated(() => {
        qc.setQueryData(['me'], null);
      }),
    [qc],
  );
  if (me.isPending) return <Loading />;
  if (!me.data) return <Login />;
  return (
    <MeContext.Provider value={me.data}>
      <Shell />
    </MeContext.Provider>
  );
}

interface NavItem {
  path: string;
  label: string;
  /** The right the screen needs, or any of several. */
  right: string | string[];
}

function Shell() {
  const { t, i18n } = useTranslation();
  const [opened, { toggle }] = useDisclosure();
  const me = useMe();
  const can = useCan();
  const qc = useQueryClient();
  const { path } = useLocation();
  const front: NavItem[] = [
    { path: '/', label: t('nav.search'), right: 'customer:read' },
    { path: '/directory', label: t('nav.directory'), right: 'directory:search' },
    { path: '/customers/new', label: t('nav.newCustomer'), right: 'customer:write' },
    { path: '/blacklist', label: t('nav.blacklist'), right: 'blacklist:read' },
    { path: '/faults', label: t('nav.faults'), right: 'fault:read' },
    { path: '/complaints', label: t('care.nav.complaints'), right: 'fault:read' },
    { path: '/rebates', label: t('care.nav.rebates'), right: 'fault:read' },
  ];
  const back: NavItem[] = [
    { path: '/baskets', label: t('nav.baskets'), right: 'task:work' },
    { path: '/inventory', label: t('nav.inventory'), right: 'inventory:read' },
    { path: '/activation', label: t('activation.nav'), right: 'activation:read' },
    { path: '/incidents', label: t('care.nav.incidents'), right: 'fault:read' },
    { path: '/work-orders', label: t('care.nav.workOrders'), right: 'fault:read' },
    {
      path: '/imports',
      label: t('nav.imports'),
      right: ['inventory:write', 'directory:write', 'directory:edition'],
    },
  ];
  const admin: NavItem[] = [
    { path: '/admin/categories', label: t('nav.categories'), right: 'catalogue:read' },
    { path: '/admin/catalogue', label: t('nav.catalogue'), right: 'catalogue:read' },
    { path: '/admin/users', label: t('nav.users'), right: 'user:admin' },
    { path: '/admin/roles', label: t('nav.roles'), right: 'user:admin' },
    { path: '/admin/scenarios', label: t('nav.scenarios'), right: 'scenario:admin' },
  ];
  const active = (p: string) => (p === '/' ? path === '/' : path === p || path.startsWith(`${p}/`));
  const link = (n: NavItem) => (
    <NavLink
      key={n.path}
      href={n.path}
      label={n.label}
      active={active(n.path)}
      rightSection={n.path === '/activation' ? <ActivationAlert /> : undefined}
      onClick={(e) => {
        e.preventDefault();
        navigate(n.path);
        if (opened) toggle();
      }}
    />
  );
  const logout = async () => {
    await post('/api/v1/auth/logout').catch(() => undefined);
    qc.clear();
    qc.setQueryData(['me'], null);
    navigate('/', true);
  };
  const allowed = (n: NavItem) => [n.right].flat().some((r) => can(r));
  const visibleAdmin = admin.filter(allowed);
  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" />
            <Title order={4} c="indigo.8">
              GPTo
            </Title>
            <Text size="sm" c="dimmed" visibleFrom="md">
              {t('app.tagline')}
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <SegmentedControl
              size="xs"
              value={i18n.language === 'en' ? 'en' : 'fr'}
              onChange={(l) => {
                void i18n.changeLanguage(l);
                localStorage.setItem('gpto.lang', l);
              }}
              data={[
                { value: 'fr', label: 'FR' },
                { value: 'en', label: 'EN' },
              ]}
            />
            <Text size="sm" data-testid="current-user">
              {me.displayName}
            </Text>
            <Button size="xs" variant="default" onClick={() => void logout()}>
              {t('nav.logout')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" style={{ overflowY: 'auto' }}>
        <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" py={4}>
          {t('nav.frontOffice')}
        </Text>
        {front.filter(allowed).map(link)}
        {back.some(allowed) && (
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" py={4} mt="md">
            {t('nav.backOffice')}
          </Text>
        )}
        {back.filter(allowed).map(link)}
        {visibleAdmin.length > 0 && (
          <>
            <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" py={4} mt="md">
              {t('nav.administration')}
            </Text>
            {visibleAdmin.map(link)}
          </>
        )}
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes />
      </AppShell.Main>
    </AppShell>
  );
}

/**
 * Beside "Activation automatique", on every screen: how many network elements are unreachable
 * (red), else how many refused orders are left to handle (orange) — switching works in its
 * baskets, not in front of the element cards. The same query as the cards' (shared cache).
 */
function ActivationAlert() {
  const { t } = useTranslation();
  const can = useCan();
  const q = useQuery({
    ...elementsQuery,
    refetchInterval: 30_000,
    enabled: can('activation:read'),
  });
  const elements = q.data ?? [];
  const down = elements.filter((e) => e.enabled && e.health?.circuit === 'open').length;
  const toHandle = elements.reduce((n, e) => n + e.toHandle, 0);
  if (down > 0)
    return (
      <Badge
        color="red"
        size="sm"
        circle
        title={t('activation.navDown', { count: down })}
        data-testid="nav-activation-alert"
      >
        {down}
      </Badge>
    );
  if (toHandle > 0)
    return (
      <Badge
        color="orange"
        size="sm"
        variant="light"
        title={t('activation.navToHandle', { count: toHandle })}
        data-testid="nav-activation-alert"
      >
        {toHandle > 999 ? '999+' : toHandle}
      </Badge>
    );
  return null;
}
