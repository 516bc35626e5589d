import { Badge, Grid, Group, Paper, Table, Text, Title, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { QueryState } from '../../components/States';
import { get } from '../../lib/api';
import type { Actor, Role } from '../../lib/types';

/** Roles (sets of rights) and actors (the services whose baskets users work in). Read-only for now. */
export function Roles() {
  const { t } = useTranslation();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => get<Role[]>('/api/v1/roles') });
  const rights = useQuery({
    queryKey: ['rights'],
    queryFn: () => get<{ code: string; description: string }[]>('/api/v1/rights'),
  });
  const actors = useQuery({ queryKey: ['actors'], queryFn: () => get<Actor[]>('/api/v1/actors') });
  const describe = (code: string) => rights.data?.find((r) => r.code === code)?.description ?? code;
  return (
    <Grid>
      <Grid.Col span={{ base: 12, lg: 8 }}>
        <Title order={3} mb="sm">
          {t('nav.roles')}
        </Title>
        <QueryState query={roles}>
          {(rows) => (
            <Paper withBorder>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('admin.role')}</Table.Th>
                    <Table.Th>{t('admin.rights')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr key={r.code}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {r.name}
                        </Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {r.code}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {r.rights.length === 0 && (
                            <Text size="xs" c="dimmed">
                              —
                            </Text>
                          )}
                          {r.rights.map((x) => (
                            <Tooltip key={x} label={x === '*' ? t('admin.allRights') : describe(x)}>
                              <Badge size="sm" variant="light" color={x === '*' ? 'red' : 'indigo'}>
                                {x}
                              </Badge>
                            </Tooltip>
                          ))}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )}
        </QueryState>
        <Text size="xs" c="dimmed" mt="xs">
          {t('admin.rolesReadOnly')}
        </Text>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 4 }}>
        <Title order={3} mb="sm">
          {t('admin.actors')}
        </Title>
        <QueryState query={actors}>
          {(rows) => (
            <Paper withBorder>
              <Table>
                <Table.Tbody>
                  {rows.map((a) => (
                    <Table.Tr key={a.code}>
                      <Table.Td>
                        <Text size="sm">{a.name}</Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {a.code}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge size="sm" variant="outline" color={a.kind === 'human' ? 'blue' : 'gray'}>
                          {t(`admin.actorKinds.${a.kind}`, { defaultValue: a.kind })}
                        </Badge>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )}
        </QueryState>
      </Grid.Col>
    </Grid>
  );
}
