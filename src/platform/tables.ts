import type { ColumnType, Generated } from 'kysely';

/** A column the database fills (identity, default) and that is never written directly afterwards. */
export type Auto<T> = ColumnType<T, T | undefined, T>;
export type Json = ColumnType<unknown, string, string>;
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface EventTable {
  id: Generated<number>;
  occurred_at: Timestamp;
  entity_type: string;
  entity_id: string;
  customer_id: number | null;
  line_id: string | null;
  kind: string;
  actor: string | null;
  user_id: number | null;
  payload: Json;
}

export interface ActorTable {
  code: string;
  name: string;
  kind: 'human' | 'automatic';
  created_at: Timestamp;
}

export interface RoleTable {
  code: string;
  name: string;
  rights: string[];
}

export interface AppUserTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string | null;
  active: Auto<boolean>;
  zone: string | null;
  skills: Auto<string[]>;
  created_at: Timestamp;
}

export interface UserRoleTable {
  user_id: number;
  role_code: string;
}

export interface UserActorTable {
  user_id: number;
  actor_code: string;
}

export interface AuthTokenTable {
  id: Generated<number>;
  user_id: number;
  kind: 'session' | 'api';
  name: string | null;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface SettingTable {
  key: string;
  value: Json;
}

export interface PlatformTables {
  event: EventTable;
  actor: ActorTable;
  role: RoleTable;
  app_user: AppUserTable;
  user_role: UserRoleTable;
  user_actor: UserActorTable;
  auth_token: AuthTokenTable;
  setting: SettingTable;
}
