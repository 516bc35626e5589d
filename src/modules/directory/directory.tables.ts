import type { Generated } from 'kysely';
import type { Auto, Timestamp } from '../../platform/tables.js';

/** The printed directories; the red list is not a directory of its own but the `unlisted` consent. */
export type DirectoryKind = 'alphabetical' | 'professional' | 'technical';
export const DIRECTORY_KINDS: readonly DirectoryKind[] = ['alphabetical', 'professional', 'technical'];

export type ListingSource = 'agent' | 'import' | 'demo' | 'workflow';

export interface DirectoryHeadingTable {
  id: Generated<number>;
  parent_id: number | null;
  label: string;
  path: string;
  created_at: Timestamp;
}

export interface DirectoryListingTable {
  id: Generated<number>;
  code: Auto<string>;
  directory: DirectoryKind;
  subscription_id: number | null;
  customer_id: number | null;
  title: string | null;
  last_name: string | null;
  first_names: string | null;
  nickname: string | null;
  company: string | null;
  heading_id: number | null;
  heading_path: string | null;
  street_number: string | null;
  street: string | null;
  locality: string | null;
  postal_code: string | null;
  numbers: string[];
  unlisted: Auto<boolean>;
  no_marketing: Auto<boolean>;
  no_reverse_search: Auto<boolean>;
  source: Auto<ListingSource>;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: Auto<number>;
  primary_number: Generated<string>;
  name_key: Generated<string>;
  fterms: Generated<string[]>;
}

export interface DirectoryTermTable {
  term: string;
  phon: Generated<string>;
  /** Transaction that added the word (migrations/0322): what a process reads again when the dictionary grows. */
  added_xid: Generated<string>;
}

/** One row: moves when the dictionary gains words (migrations/0320); the search caches expansions by it. */
export interface DirectoryTermGenTable {
  id: Generated<boolean>;
  gen: Generated<number>;
}

export interface DirectoryTables {
  directory_heading: DirectoryHeadingTable;
  directory_listing: DirectoryListingTable;
  directory_term: DirectoryTermTable;
  directory_term_gen: DirectoryTermGenTable;
}
