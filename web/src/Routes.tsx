import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useCan } from './lib/auth';
import { match, useLocation } from './lib/router';
import { Blacklist } from './screens/Blacklist';
import { CustomerEdit, CustomerNew } from './screens/customer/CustomerForm';
import { Customer360 } from './screens/customer/Customer360';
import { Search } from './screens/Search';
import { Categories } from './screens/admin/Categories';
import { Catalogue } from './screens/admin/Catalogue';
import { Users } from './screens/admin/Users';
import { Roles } from './screens/admin/Roles';

interface Route {
  pattern: string;
  right: string;
  render: (params: Record<string, string>) => React.ReactNode;
}

const ROUTES: Route[] = [
  { pattern: '/', right: 'customer:read', render: () => <Search /> },
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
  { pattern: '/admin/categories', right: 'catalogue:read', render: () => <Categories /> },
  { pattern: '/admin/catalogue', right: 'catalogue:read', render: () => <Catalogue /> },
  { pattern: '/admin/users', right: 'user:admin', render: () => <Users /> },
  { pattern: '/admin/roles', right: 'user:admin', render: () => <Roles /> },
];

export function Routes() {
  const { path } = useLocation();
  const can = useCan();
  const { t } = useTranslation();
  for (const r of ROUTES) {
    const params = match(r.pattern, path === '' ? '/' : path);
    if (!params) continue;
    if (!can(r.right)) {
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
