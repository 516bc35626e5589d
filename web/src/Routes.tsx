import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useCan } from './lib/auth';
import { match, useLocation } from './lib/router';
import { Blacklist } from './screens/Blacklist';
import { Directory } from './screens/Directory';
import { Inventory } from './screens/inventory/Inventory';
import { LineView } from './screens/inventory/LineView';
import { Baskets } from './screens/backoffice/Baskets';
import { RequestPage } from './screens/backoffice/RequestPage';
import { CustomerEdit, CustomerNew } from './screens/customer/CustomerForm';
import { Customer360 } from './screens/customer/Customer360';
import { Search } from './screens/Search';
import { Categories } from './screens/admin/Categories';
import { Catalogue } from './screens/admin/Catalogue';
import { Users } from './screens/admin/Users';
import { Roles } from './screens/admin/Roles';
import { Scenarios } from './screens/admin/Scenarios';
import { FaultPage } from './screens/assistance/FaultPage';
import { Faults } from './screens/assistance/Faults';
import { AssistanceStats } from './screens/assistance/AssistanceStats';
import { ComplaintPage } from './screens/assistance/ComplaintPage';
import { Complaints } from './screens/assistance/Complaints';
import { IncidentPage } from './screens/assistance/IncidentPage';
import { Incidents } from './screens/assistance/Incidents';
import { Rebates } from './screens/assistance/Rebates';
import { WorkOrderPage } from './screens/assistance/WorkOrderPage';
import { WorkOrders } from './screens/assistance/WorkOrders';
import { Imports } from './screens/jobs/Imports';
import { Activation } from './screens/activation/Activation';

interface Route {
  pattern: string;
  right: string;
  render: (params: Record<string, string>) => React.ReactNode;
}

const ROUTES: Route[] = [
  { pattern: '/', right: '', render: () => <Home /> },
  { pattern: '/customers/new', right: 'customer:write', render: () => <CustomerNew /> },
  {
    pattern: '/customers/:ref/edit',
    right: 'customer:write',
    render: (p) => <CustomerEdit key={p.ref} code={p.ref ?? ''} />,
  },
  {
    pattern: '/customers/:ref',
    right: 'customer:read',
    render: (p) => <Customer360 key={p.ref} code={p.ref ?? ''} />,
  },
  { pattern: '/blacklist', right: 'blacklist:read', render: () => <Blacklist /> },
  { pattern: '/directory', right: 'directory:search', render: () => <Directory /> },
  { pattern: '/baskets', right: 'task:work', render: () => <Baskets /> },
  { pattern: '/faults', right: 'fault:read', render: () => <Faults /> },
  { pattern: '/assistance/stats', right: 'fault:read', render: () => <AssistanceStats /> },
  {
    pattern: '/faults/:ref',
    right: 'fault:read',
    render: (p) => <FaultPage key={p.ref} refCode={p.ref ?? ''} />,
  },
  { pattern: '/complaints', right: 'fault:read', render: () => <Complaints /> },
  {
    pattern: '/complaints/:ref',
    right: 'fault:read',
    render: (p) => <ComplaintPage key={p.ref} refCode={p.ref ?? ''} />,
  },
  { pattern: '/rebates', right: 'fault:read', render: () => <Rebates /> },
  { pattern: '/incidents', right: 'fault:read', render: () => <Incidents /> },
  {
    pattern: '/incidents/:ref',
    right: 'fault:read',
    render: (p) => <IncidentPage key={p.ref} refCode={p.ref ?? ''} />,
  },
  { pattern: '/work-orders', right: 'fault:read', render: () => <WorkOrders /> },
  {
    pattern: '/work-orders/:ref',
    right: 'fault:read',
    render: (p) => <WorkOrderPage key={p.ref} refCode={p.ref ?? ''} />,
  },
  { pattern: '/activation', right: 'activation:read', render: () => <Activation /> },
  { pattern: '/inventory', right: 'inventory:read', render: () => <Inventory /> },
  // The screen shows only the jobs the user's rights allow (inventory, directory imports, editions).
  { pattern: '/imports', right: '', render: () => <Imports /> },
  {
    pattern: '/lines/:number',
    right: 'inventory:read',
    render: (p) => <LineView key={p.number} number={p.number ?? ''} />,
  },
  {
    pattern: '/requests/:ref',
    right: 'request:read',
    render: (p) => <RequestPage key={p.ref} refCode={p.ref ?? ''} />,
  },
  { pattern: '/admin/categories', right: 'catalogue:read', render: () => <Categories /> },
  { pattern: '/admin/catalogue', right: 'catalogue:read', render: () => <Catalogue /> },
  { pattern: '/admin/users', right: 'user:admin', render: () => <Users /> },
  { pattern: '/admin/roles', right: 'user:admin', render: () => <Roles /> },
  { pattern: '/admin/scenarios', right: 'request:read', render: () => <Scenarios /> },
];

/** The first screen a user's rights open: the search for agents, the directory for enquiry operators. */
function Home() {
  const can = useCan();
  const { t } = useTranslation();
  if (can('customer:read')) return <Search />;
  if (can('task:work')) return <Baskets />;
  if (can('inventory:read')) return <Inventory />;
  if (can('directory:search')) return <Directory />;
  return <Alert color="gray">{t('common.nothingForYou')}</Alert>;
}

export function Routes() {
  const { path } = useLocation();
  const can = useCan();
  const { t } = useTranslation();
  for (const r of ROUTES) {
    const params = match(r.pattern, path === '' ? '/' : path);
    if (!params) continue;
    if (r.right && !can(r.right)) {
      return (
        <Alert color="orange" title={t('common.forbiddenTitle')}>
          {t('common.forbidden')}
        </Alert>
      );
    }
    return <>{r.render(params)}</>;
  }
  return <Alert color="gray">{t('common.notFound')}</Alert>;
}
