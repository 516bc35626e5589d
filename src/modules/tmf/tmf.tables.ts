import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../platform/tables.js';

/** Parties declared through TMF632 that are not customers yet (migration 0740). */
export interface PartyTable {
  id: Generated<number>;
  code: string;
  kind: 'person' | 'organisation';
  title: string | null;
  given_name: string | null;
  family_name: string | null;
  middle_name: string | null;
  birth_date: ColumnType<string | null, string | null | undefined, string | null>;
  trading_name: string | null;
  legal_name: string | null;
  registration_number: string | null;
  contact_medium: Json;
  characteristic: Json;
  customer_id: number | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: Timestamp;
}

/** TMF673 address validations (migration 0741). */
export interface TmfAddressValidationTable {
  id: Generated<number>;
  code: string;
  submitted: Json;
  result: Json;
  user_id: number | null;
  created_at: ColumnType<Date, never, never>;
}

/** TMF645 check service qualifications (migration 0742). */
export interface TmfServiceQualificationTable {
  id: Generated<number>;
  code: string;
  document: Json;
  user_id: number | null;
  created_at: ColumnType<Date, never, never>;
}

export interface TmfTables {
  party: PartyTable;
  tmf_address_validation: TmfAddressValidationTable;
  tmf_service_qualification: TmfServiceQualificationTable;
}
