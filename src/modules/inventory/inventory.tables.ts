import type { Generated } from 'kysely';
import type { Auto, Json, Timestamp } from '../../platform/tables.js';

/** The five states of a port, pair or base station (seed: "état des paires"). */
export type ResourceStatus = 'free' | 'reserved' | 'in_service' | 'faulty' | 'out_of_order';
export type NumberStatus = 'free' | 'reserved' | 'assigned' | 'quarantine';
export type SimStatus =
  'in_stock' | 'allocated' | 'active' | 'suspended' | 'replaced' | 'destroyed' | 'lost_stolen';
export type ReservationKind = 'fixed_wired' | 'fixed_radio' | 'mobile' | 'number';
export type LineKind = 'fixed_wired' | 'fixed_radio' | 'mobile';
export type PendingCause = 'saturation' | 'unequipped_zone' | 'missing_equipment';

interface Coded {
  id: Generated<number>;
  code: string;
  name: string;
  created_at: Timestamp;
}

export interface InvSiteTable extends Coded {
  locality: string;
  district: string | null;
}
export interface InvSwitchTable extends Coded {
  site_id: number;
  model: string | null;
}
export interface InvMdfTable extends Coded {
  site_id: number;
}
export interface InvMdfPositionTable {
  id: Generated<number>;
  mdf_id: number;
  side: 'vertical' | 'horizontal';
  position: string;
}
export interface InvPortTable {
  id: Generated<number>;
  switch_id: number;
  site_id: number;
  equipment_number: string;
  shelf: number;
  card: number;
  port: number;
  mdf_position_id: number | null;
  status: Auto<ResourceStatus>;
  /** Reservation whose row still holds this resource's latest "reserved" history entry (0235). */
  history_held_by: number | null;
  updated_at: Timestamp;
}
export interface InvSdfTable extends Coded {
  site_id: number;
  locality: string;
  district: string | null;
}
export interface InvCpTable extends Coded {
  sdf_id: number;
  locality: string;
  district: string | null;
  street: string | null;
}
export interface InvCableTable {
  id: Generated<number>;
  code: string;
  kind: 'primary' | 'distribution';
  bundle: string | null;
  mdf_id: number | null;
  sdf_id: number;
  cp_id: number | null;
  head: string | null;
  lead: string | null;
  pair_count: number;
  created_at: Timestamp;
}
export interface InvPairTable {
  id: Generated<number>;
  cable_id: number;
  kind: 'primary' | 'distribution';
  number: number;
  sdf_id: number;
  cp_id: number | null;
  mdf_position_id: number | null;
  status: Auto<ResourceStatus>;
  /** Reservation whose row still holds this resource's latest "reserved" history entry (0235). */
  history_held_by: number | null;
  updated_at: Timestamp;
}
export interface InvCrossConnectTable {
  id: Generated<number>;
  kind: 'mdf_jumper' | 'sdf_jumper';
  from_id: number;
  to_id: number;
  line_id: number | null;
  status: Auto<'active' | 'removed'>;
  created_at: Timestamp;
  removed_at: Date | null;
}
export interface InvBaseStationTable extends Coded {
  site_id: number;
  capacity: number;
  used: Auto<number>;
  status: Auto<ResourceStatus>;
}
export interface InvServingAreaTable {
  id: Generated<number>;
  locality: string;
  district: Auto<string>;
  street: Auto<string>;
  cp_id: number | null;
  base_station_id: number | null;
  locality_norm: Generated<string>;
  district_norm: Generated<string>;
  street_norm: Generated<string>;
  created_at: Timestamp;
}
export interface InvResourceHistoryTable {
  id: Generated<number>;
  resource_type: 'port' | 'pair' | 'base_station' | 'number' | 'sim';
  resource_id: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  reservation_id: number | null;
  user_id: number | null;
  at: Timestamp;
}
export interface InvNumberPoolTable {
  id: Generated<number>;
  code: string;
  product_code: string;
  site_id: number | null;
  quarantine_days: Auto<number>;
  created_at: Timestamp;
}
export interface InvNumberRangeTable {
  id: Generated<number>;
  pool_id: number;
  first: string;
  last: string;
  created_at: Timestamp;
}
export interface InvNumberTable {
  number: string;
  pool_id: number;
  status: Auto<NumberStatus>;
  golden: Auto<boolean>;
  quarantine_until: Date | null;
  /** Reservation whose row still holds this number's latest "reserved" history entry (0235). */
  history_held_by: number | null;
  updated_at: Timestamp;
}
export interface InvShopTable extends Coded {
  locality: string;
}
export interface InvSimBatchTable {
  id: Generated<number>;
  code: string;
  manufacturer: string;
  card_count: number;
  imported_at: Timestamp;
  imported_by: number | null;
}
export interface InvSimTable {
  id: Generated<number>;
  iccid: string;
  imsi: string;
  batch_id: number;
  secrets: Buffer;
  status: Auto<SimStatus>;
  shop_id: number | null;
  directory_number: string | null;
  reservation_id: number | null;
  updated_at: Timestamp;
}
export interface InvReservationTable {
  id: Generated<number>;
  code: string;
  request_ref: string;
  kind: ReservationKind;
  status: Auto<'reserved' | 'released' | 'committed'>;
  product_code: string;
  address: Json | null;
  port_id: number | null;
  primary_pair_id: number | null;
  distribution_pair_id: number | null;
  cp_id: number | null;
  base_station_id: number | null;
  sim_id: number | null;
  directory_number: string | null;
  created_at: Timestamp;
  closed_at: Date | null;
  /** Who studied it, and the number's status before (0235: the fast path's history entries). */
  user_id: number | null;
  number_from: string | null;
}
export interface InvLineTable {
  id: Generated<number>;
  directory_number: string;
  kind: LineKind;
  status: Auto<'active' | 'ceased'>;
  request_ref: string | null;
  reservation_id: number | null;
  product_code: string;
  address: Json | null;
  port_id: number | null;
  primary_pair_id: number | null;
  distribution_pair_id: number | null;
  cp_id: number | null;
  base_station_id: number | null;
  sim_id: number | null;
  created_at: Timestamp;
  ceased_at: Date | null;
}
export interface InvLineHistoryTable {
  id: Generated<number>;
  line_id: number;
  change: string;
  detail: Json;
  user_id: number | null;
  at: Timestamp;
}
export interface InvPendingTable {
  id: Generated<number>;
  request_ref: string;
  kind: LineKind;
  product_code: string;
  address: Json | null;
  shop_code: string | null;
  locality: Auto<string>;
  district: Auto<string>;
  zone_key: Auto<string>;
  cause: PendingCause;
  element_type: string;
  element_code: string;
  detail: string;
  status: Auto<'waiting' | 'resumed' | 'cancelled'>;
  attempts: Auto<number>;
  reservation_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: Date | null;
}

/** Capacity freed in a caller's transaction, announced after its commit (migration 0220). */
export interface InvCapacitySignalTable {
  id: Generated<number>;
  signals: Json;
  created_at: Auto<Timestamp>;
}

export interface InventoryTables {
  inv_site: InvSiteTable;
  inv_switch: InvSwitchTable;
  inv_mdf: InvMdfTable;
  inv_mdf_position: InvMdfPositionTable;
  inv_port: InvPortTable;
  inv_sdf: InvSdfTable;
  inv_cp: InvCpTable;
  inv_cable: InvCableTable;
  inv_pair: InvPairTable;
  inv_cross_connect: InvCrossConnectTable;
  inv_base_station: InvBaseStationTable;
  inv_serving_area: InvServingAreaTable;
  inv_resource_history: InvResourceHistoryTable;
  inv_number_pool: InvNumberPoolTable;
  inv_number_range: InvNumberRangeTable;
  inv_number: InvNumberTable;
  inv_shop: InvShopTable;
  inv_sim_batch: InvSimBatchTable;
  inv_sim: InvSimTable;
  inv_reservation: InvReservationTable;
  inv_line: InvLineTable;
  inv_line_history: InvLineHistoryTable;
  inv_pending: InvPendingTable;
  inv_capacity_signal: InvCapacitySignalTable;
}
