import type { Db } from '../../platform/db.js';
import { EditionService } from './edition.service.js';
import { ImportService } from './import.service.js';
import { ListingService } from './listing.service.js';
import { SearchService } from './search.service.js';

export interface DirectoryServices {
  listings: ListingService;
  search: SearchService;
  imports: ImportService;
  editions: EditionService;
}

export function createDirectory(db: Db): DirectoryServices {
  return {
    listings: new ListingService(db),
    search: new SearchService(db),
    imports: new ImportService(db),
    editions: new EditionService(db),
  };
}

export { registerDirectoryRoutes } from './directory.routes.js';
export { dirNorm, dirWords, phonexFr } from './phonetic.js';
export { normNumber } from './listing.service.js';
export type { Listing } from './listing.service.js';
export type { SearchItem } from './search.service.js';
export type { ImportReport } from './import.service.js';
export type { DirectoryKind } from './directory.tables.js';
export { prewarmSearch, type PrewarmReport } from './prewarm.js';
