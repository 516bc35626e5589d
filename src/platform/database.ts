import type { PlatformTables } from './tables.js';
import type { ReferentialTables } from '../modules/referential/referential.tables.js';
import type { DirectoryTables } from '../modules/directory/directory.tables.js';
import type { InventoryTables } from '../modules/inventory/inventory.tables.js';
import type { WorkflowTables } from '../modules/workflow/workflow.tables.js';
import type { BillingTables } from '../modules/billing/billing.tables.js';
import type { RequestsTables } from '../modules/requests/requests.tables.js';
import type { AssistanceTables } from '../modules/assistance/assistance.tables.js';
import type { ActivationTables } from '../modules/activation/activation.tables.js';
import type { TmfOrderTables } from '../modules/tmf/orders.tables.js';
import type { TmfTables } from '../modules/tmf/tmf.tables.js';

/** The whole schema as Kysely sees it: each module declares its own tables and they meet here. */
export interface Database
  extends
    PlatformTables,
    DirectoryTables,
    ReferentialTables,
    InventoryTables,
    WorkflowTables,
    BillingTables,
    RequestsTables,
    AssistanceTables,
    ActivationTables,
    TmfTables,
    TmfOrderTables {}
