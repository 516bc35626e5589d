import { Type } from '@sinclair/typebox';
import { actorOf } from '../../platform/auth/auth.service.js';
import { principalOf } from '../../platform/http/auth-hook.js';

/** Shared by the billing route files. */
export const by = (request: Parameters<typeof principalOf>[0]) => actorOf(principalOf(request));
export const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
