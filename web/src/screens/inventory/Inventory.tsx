import { Tabs, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { navigate, useLocation } from '../../lib/router';
import { PendingScreen, Pools } from './Pending';
import { Plant } from './Plant';
import { Sims } from './Sims';

const TABS = ['plant', 'pools', 'sims', 'pending'] as const;

/** The technical screens: plant, number pools, SIM stock, pending requests. */
export function Inventory() {
  const { t } = useTranslation();
  const { query } = useLocation();
  const tab = TABS.find((x) => x === query.get('tab')) ?? 'plant';
  return (
    <>
      <Title order={3} mb="sm">
        {t('nav.inventory')}
      </Title>
      <Tabs value={tab} onChange={(v) => v && navigate(`/inventory?tab=${v}`, true)} keepMounted={false}>
        <Tabs.List mb="sm">
          {TABS.map((x) => (
            <Tabs.Tab key={x} value={x}>
              {t(`inventory.tabs.${x}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="plant">
          <Plant />
        </Tabs.Panel>
        <Tabs.Panel value="pools">
          <Pools />
        </Tabs.Panel>
        <Tabs.Panel value="sims">
          <Sims />
        </Tabs.Panel>
        <Tabs.Panel value="pending">
          <PendingScreen />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
